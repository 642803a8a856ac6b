import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChangeQueue, EchoFilter, OWN_LINK_PREFIX, TOUCH_SCRIPT, guestPathFor, isOwnLink, inotifySummary, touchInput, watchedMounts, type InotifyStats } from "../../../src/mounts/inotify.js";
import type { PlannedMount } from "../../../src/mounts/types.js";
import { whichSync } from "../../../src/proc/which.js";

const mounts = [
  { location: "/home/u", mountPoint: "/home/u" },
  { location: "/home/u/src/", mountPoint: "/mnt/src" },
  { location: "/", mountPoint: "/host" },
];

test("guestPathFor: the longest location that contains the path wins; trailing slashes do not matter", () => {
  assert.equal(guestPathFor(mounts, "/home/u/a.txt"), "/home/u/a.txt");
  assert.equal(guestPathFor(mounts, "/home/u/src/x/y.ts"), "/mnt/src/x/y.ts");
  assert.equal(guestPathFor(mounts, "/home/u/src"), "/mnt/src");
  assert.equal(guestPathFor(mounts, "/home/u/srcfoo/z"), "/home/u/srcfoo/z");
  assert.equal(guestPathFor(mounts, "/etc/passwd"), "/host/etc/passwd");
  assert.equal(guestPathFor([{ location: "/a", mountPoint: "/b" }], "/ab/c"), undefined);
  assert.equal(guestPathFor(mounts, "/home/u/new\nline"), undefined);
});

test("watchedMounts: only the writable mounts", () => {
  const pm = (location: string, writable: boolean) => ({ mount: { location, mountPoint: `/m${location}`, writable } }) as unknown as PlannedMount;
  assert.deepEqual(watchedMounts([pm("/a", true), pm("/b", false)]), [{ location: "/a", mountPoint: "/m/a" }]);
});

test("ChangeQueue: coalesces repeats, hands out at most maxBatch per take, drops and counts above maxPending", () => {
  const q = new ChangeQueue({ maxBatch: 3, maxPending: 5 });
  q.add(["a", "b", "a", "a", "c"]);
  assert.equal(q.size, 3);
  const files = Array.from({ length: 10 }, (_, i) => `f${i}`);
  q.add(files); // a b c + f0 f1, then 8 dropped
  assert.equal(q.size, 5);
  assert.deepEqual(q.take(), { paths: ["a", "b", "c"], dropped: 8 });
  assert.deepEqual(q.take(), { paths: ["f0", "f1"], dropped: 0 });
  assert.deepEqual(q.take(), { paths: [], dropped: 0 });
  q.add(["a"]);
  assert.deepEqual(q.take(), { paths: ["a"], dropped: 0 });
});

test("a git-checkout-sized burst: every batch is capped, what is over the cap is counted, nothing is lost below it", () => {
  const q = new ChangeQueue({ maxBatch: 256, maxPending: 4096 });
  const burst = Array.from({ length: 20_000 }, (_, i) => `/src/f${i % 10_000}`); // each file twice
  q.add(burst);
  let sent = 0;
  let dropped = 0;
  for (;;) {
    const b = q.take();
    dropped += b.dropped;
    if (b.paths.length === 0) break;
    assert.ok(b.paths.length <= 256);
    sent += b.paths.length;
  }
  assert.equal(sent, 4096);
  assert.equal(dropped, 20_000 - 2 * 4096); // every event over the cap counts, repeats too
});

test("EchoFilter: a path is forwarded when its mtime or size changed, not again for the same state (the guest's own touch)", () => {
  const f = new EchoFilter(2);
  assert.equal(f.changed("/a", { mtimeNs: 1n, size: 1, mode: 0o644 }), true);
  assert.equal(f.changed("/a", { mtimeNs: 1n, size: 1, mode: 0o644 }), false);
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 1, mode: 0o644 }), true);
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o755 }), true, "a host chmod is a change");
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  f.forget("/a");
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  // bounded: the oldest path is forgotten
  f.changed("/b", { mtimeNs: 1n, size: 1, mode: 0o644 });
  f.changed("/c", { mtimeNs: 1n, size: 1, mode: 0o644 });
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  assert.equal(f.changed("/c", { mtimeNs: 1n, size: 1, mode: 0o644 }), false);
});

/** Watches `watch` (inotify, mask all), runs TOUCH_SCRIPT on stdin, prints [watch index, mask, name] and each path's user xattrs. */
const OBSERVE = `
import ctypes, json, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
script, watch, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
fd = libc.inotify_init1(os.O_NONBLOCK)
wds = [libc.inotify_add_watch(fd, w.encode(), 0xfff) for w in watch]
r = subprocess.run(["sh", "-c", script], input=sys.stdin.buffer.read(), env={"PATH": path})
events = []
while True:
    try:
        buf = os.read(fd, 65536)
    except BlockingIOError:
        break
    i = 0
    while i < len(buf):
        wd, mask, cookie, ln = __import__("struct").unpack_from("iIII", buf, i)
        events.append([wds.index(wd), mask, buf[i + 16:i + 16 + ln].rstrip(b"\\0").decode()])
        i += 16 + ln
print(json.dumps({"status": r.returncode, "events": events, "xattrs": [os.listxattr(w) for w in watch]}))
`;

interface Observed {
  status: number;
  events: Array<[number, number, string]>;
  xattrs: string[][];
}

function observe(watch: string[], input: string, path: string): Observed {
  const r = spawnSync("python3", ["-c", OBSERVE, TOUCH_SCRIPT, JSON.stringify(watch), path], { input, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Observed;
}

const IN = { MODIFY: 0x2, ATTRIB: 0x4, CLOSE_WRITE: 0x8, OPEN: 0x20, CREATE: 0x100, DELETE: 0x200, ISDIR: 0x40000000 };

/** A directory with an oddly named file, a subdirectory and a symlink; the states TOUCH_SCRIPT must not change. */
function scratch(): { dir: string; odd: string; sub: string; link: string; states: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), "tslima-touch-"));
  const odd = join(dir, "sp ace 'q' \"dq\" ü\tx");
  const sub = join(dir, "sub");
  const link = join(dir, "link");
  writeFileSync(odd, "1");
  chmodSync(odd, 0o640);
  mkdirSync(sub);
  symlinkSync(odd, link);
  const states = () => [
    readdirSync(dir).sort().join("/"),
    ...[odd, sub].map((p) => {
      const st = statSync(p, { bigint: true });
      return `${st.mode}:${st.mtimeNs}:${st.size}:${st.nlink}:${p === odd ? readFileSync(p, "utf8") : ""}`;
    }),
  ];
  return { dir, odd, sub, link, states };
}

const named = (o: Observed, watch: number, name: string) => o.events.filter(([w, , n]) => w === watch && n === name).reduce((m, [, mask]) => m | mask, 0);

test("TOUCH_SCRIPT (python3): IN_ATTRIB, IN_OPEN and IN_CLOSE_WRITE for a file, IN_ATTRIB for a directory; no mode, time, size or data written, nothing left", () => {
  const { dir, odd, sub, link, states } = scratch();
  try {
    const before = states();
    const o = observe([dir, odd], touchInput([odd, join(dir, "gone"), sub, link]), process.env.PATH ?? "/usr/bin:/bin");
    assert.equal(o.status, 0);
    const base = odd.slice(dir.length + 1);
    const mask = named(o, 0, base);
    for (const [k, bit] of Object.entries({ ATTRIB: IN.ATTRIB, OPEN: IN.OPEN, CLOSE_WRITE: IN.CLOSE_WRITE })) assert.ok(mask & bit, `IN_${k} on the directory's watch: ${JSON.stringify(o.events)}`);
    assert.equal(mask & IN.MODIFY, 0, "nothing is written");
    assert.ok(named(o, 1, "") & IN.ATTRIB, "IN_ATTRIB on the file's own watch");
    assert.equal(named(o, 0, "sub"), IN.ATTRIB | IN.ISDIR);
    assert.equal(named(o, 0, "link"), 0, "a symlink is left alone");
    assert.deepEqual(o.events.filter(([, , n]) => n.startsWith(OWN_LINK_PREFIX)), [], "xattrs work here: no hard link made");
    assert.deepEqual(states(), before);
    assert.deepEqual(o.xattrs, [[], []], "the xattr is removed again");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("TOUCH_SCRIPT without python3: a hidden hard link made and removed (IN_ATTRIB on the file), nothing else changed", () => {
  const { dir, odd, sub, link, states } = scratch();
  const bin = mkdtempSync(join(tmpdir(), "tslima-touch-bin-"));
  try {
    for (const tool of ["sh", "id", "ln", "rm", "dirname"]) {
      const found = whichSync(tool);
      assert.ok(found, `${tool} on PATH`);
      symlinkSync(found, join(bin, tool));
    }
    const before = states();
    const o = observe([dir, odd], touchInput([odd, join(dir, "gone"), sub, link]), bin);
    assert.equal(o.status, 0);
    assert.ok(named(o, 1, "") & IN.ATTRIB, `IN_ATTRIB on the file's own watch: ${JSON.stringify(o.events)}`);
    const own = o.events.filter(([w, , n]) => w === 0 && n.startsWith(OWN_LINK_PREFIX));
    assert.deepEqual(own.map(([, m]) => m), [IN.CREATE, IN.DELETE], "the hidden link, made and removed");
    assert.ok(own.every(([, , n]) => isOwnLink(join(dir, n))), "the agent ignores the link's host events");
    assert.deepEqual(states(), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  }
});

test("isOwnLink: only the forwarder's hidden names", () => {
  assert.equal(isOwnLink(`/a/b/${OWN_LINK_PREFIX}1a2b-3`), true);
  assert.equal(isOwnLink(`/a/${OWN_LINK_PREFIX.slice(0, -1)}/b`), false);
  assert.equal(isOwnLink("/a/b/.tslima-inotify"), false);
});

test("inotifySummary: off, on but not running, counts and drops", () => {
  assert.match(inotifySummary(false, undefined), /^inotify forwarding: off/);
  assert.match(inotifySummary(true, undefined), /not running/);
  const stats: InotifyStats = {
    watching: ["/a", "/b"], forwarded: 10, batches: 2, dropped: 0, restarts: 0, errors: [],
    limits: { intervalMs: 100, maxBatch: 256, maxPending: 4096, maxRemembered: 1 },
  };
  assert.equal(inotifySummary(true, stats), "inotify forwarding: on for 2 writable mounts, 10 changes in 2 batches, none dropped");
  assert.match(inotifySummary(true, { ...stats, dropped: 7, lastDropAt: "T" }), /dropped 7 changes over the cap of 4096 waiting \(last at T\)/);
});
