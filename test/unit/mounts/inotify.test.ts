import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, chmodSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChangeQueue, EchoFilter, INOTIFY_LIMITS, OWN_LINK_PREFIX, guestPathFor, isOwnLink, touchInput, touchScript, watchedMounts } from "../../../src/mounts/inotify.js";
import { inotifySummary, parseGuestStatus, type GuestEchoStats, type InotifyStats } from "../../../src/mounts/inotify-status.js";
import { poll } from "../../../src/proc/wait.js";
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
  assert.equal(guestPathFor(mounts, "/home/u/new\nline"), "/home/u/new\nline", "a newline in a name is carried (the batch is NUL-separated)");
  assert.equal(guestPathFor(mounts, "/home/u/nul\0"), undefined);
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

/** Watches `watch` (inotify, mask all), runs touchScript (no mount points: nothing recorded) on stdin, prints [watch index, mask, name] and each path's user xattrs. */
const OBSERVE = `
import ctypes, json, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
script, watch, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
fd = libc.inotify_init1(os.O_NONBLOCK)
wds = [libc.inotify_add_watch(fd, w.encode(), 0xfff) for w in watch]
r = subprocess.run(["sh", "-c", script], input=sys.stdin.buffer.read(), env={"PATH": path}, stdout=subprocess.DEVNULL)
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
  const r = spawnSync("python3", ["-c", OBSERVE, touchScript([]), JSON.stringify(watch), path], { input, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Observed;
}

const IN = { MODIFY: 0x2, ATTRIB: 0x4, CLOSE_WRITE: 0x8, OPEN: 0x20, CREATE: 0x100, DELETE: 0x200, ISDIR: 0x40000000 };

/** A directory with an oddly named file, a subdirectory and a symlink; the states touchScript must not change. */
function scratch(): { dir: string; odd: string; sub: string; link: string; states: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), "tslima-touch-"));
  const odd = join(dir, "sp ace 'q' \"dq\" ü\tx\nnew line");
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

test("touchScript (python3): IN_ATTRIB, IN_OPEN and IN_CLOSE_WRITE for a file (its name holding a newline), IN_ATTRIB for a directory; no mode, time, size or data written, nothing left", () => {
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

test("touchScript without python3: a hidden hard link made and removed (IN_ATTRIB on the file, its name holding a newline), nothing else changed", () => {
  const { dir, odd, sub, link, states } = scratch();
  const bin = mkdtempSync(join(tmpdir(), "tslima-touch-bin-"));
  try {
    for (const tool of ["sh", "id", "ln", "rm", "xargs"]) {
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

test("inotifySummary: off, on but not running, counts and drops, and what happens to the echoes of guest changes", () => {
  assert.match(inotifySummary(false, undefined), /^inotify forwarding: off/);
  assert.match(inotifySummary(true, undefined), /not running/);
  const limits = { ...INOTIFY_LIMITS, maxRecords: 100, recordAgeS: 60, maxWatches: 50 };
  const stats: InotifyStats = { watching: ["/a", "/b"], forwarded: 10, batches: 2, dropped: 0, restarts: 0, errors: [], limits };
  assert.equal(
    inotifySummary(true, stats),
    "inotify forwarding: on for 2 writable mounts, 10 changes in 2 batches, none dropped; the guest program has not reported (no python3 in the guest?): the echo of a guest change comes back once as a host change",
  );
  assert.match(inotifySummary(true, { ...stats, dropped: 7, lastDropAt: "T" }), /dropped 7 changes over the cap of 4096 waiting \(last at T\)/);
  const guest: GuestEchoStats = { recording: true, watches: 12, walking: false, capped: false, lines: 10, raised: 4, skipped: 6, late: 0, gone: 0, noted: 9, records: 3, overflows: 0 };
  assert.equal(
    inotifySummary(true, { ...stats, guest }),
    "inotify forwarding: on for 2 writable mounts, 10 changes in 2 batches, none dropped; echoes of guest changes: 6 skipped, 4 host changes raised; 9 guest changes recorded in 12 directories, 3 remembered (at most 100, each for 60 s)",
  );
  const capped = inotifySummary(true, { ...stats, guest: { ...guest, watches: 50, capped: true, overflows: 2 } });
  assert.match(capped, /watching stopped at 50 directories \(cap 50 or the guest's fs\.inotify\.max_user_watches\): in the others the echo of a guest change comes back once/);
  assert.match(capped, /the guest's inotify queue overflowed 2 times/);
  assert.match(inotifySummary(true, { ...stats, guest: { ...guest, late: 2 } }), /echoes of guest changes: 6 skipped \(2 of them after waiting for the guest's own event\), 4 host changes raised/);
  assert.match(inotifySummary(true, { ...stats, guest: { ...guest, recording: false } }), /; no inotify in the guest: the echo of a guest change comes back once/);
});

test("parseGuestStatus: the guest program's status line, nothing else", () => {
  const g: GuestEchoStats = { recording: true, watches: 2, walking: true, capped: false, lines: 1, raised: 1, skipped: 0, late: 0, gone: 0, noted: 0, records: 0, overflows: 0 };
  assert.deepEqual(parseGuestStatus(JSON.stringify({ ...g, extra: 1 })), g);
  assert.equal(parseGuestStatus("not json"), undefined);
  assert.equal(parseGuestStatus(JSON.stringify({ ...g, raised: "1" })), undefined);
  assert.equal(parseGuestStatus("null"), undefined);
});

/**
 * The guest program run here on the host's own file system, as it runs in the guest: `root` is the
 * watched mount, `outside` an unwatched directory holding hard links to files in it. A change made
 * through such a link changes the file without an event on root's directory watches (fsnotify tells
 * the parent of the name used), which is how a host change looks to the guest; a change made through
 * root's names is a guest change.
 */
class GuestProgram {
  readonly statuses: GuestEchoStats[] = [];
  private readonly child;
  private stderr = "";
  private out = "";
  private handled = 0;

  constructor(roots: string[], limits: Partial<typeof INOTIFY_LIMITS> = {}) {
    this.child = spawn("sh", ["-c", touchScript(roots, { ...INOTIFY_LIMITS, ...limits })], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (b: Buffer) => {
      const lines = (this.out + b.toString("utf8")).split("\n");
      this.out = lines.pop() ?? "";
      for (const l of lines) {
        const g = parseGuestStatus(l);
        if (g) this.statuses.push(g);
      }
    });
    this.child.stderr.on("data", (b: Buffer) => (this.stderr += b.toString("utf8")));
  }

  get last(): GuestEchoStats | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  async until(what: string, ok: (g: GuestEchoStats) => boolean): Promise<GuestEchoStats> {
    const g = await poll(() => Promise.resolve(this.last && ok(this.last) ? this.last : undefined), { timeoutMs: 15_000, intervalMs: 20 });
    assert.ok(g, `${what}: last status ${JSON.stringify(this.last)}; stderr: ${this.stderr}`);
    return g;
  }

  /** Sends a batch and waits until the program handled it; returns how many of it were raised and skipped. */
  async batch(paths: string[]): Promise<{ raised: number; skipped: number; gone?: number }> {
    const before = this.last ?? { raised: 0, skipped: 0, gone: 0 };
    this.handled += paths.length;
    this.child.stdin.write(touchInput(paths));
    const g = await this.until(`batch ${paths.join(", ")}`, (s) => s.lines >= this.handled);
    return { raised: g.raised - before.raised, skipped: g.skipped - before.skipped, ...(g.gone > before.gone ? { gone: g.gone - before.gone } : {}) };
  }

  async end(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.stdin.end();
    await exited;
  }
}

function echoScratch(): { root: string; outside: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), "tslima-echo-"));
  const root = join(base, "mount");
  const outside = join(base, "outside");
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(outside);
  return { root, outside, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

test("guest program: echoes of guest writes, chmods, creates, deletes and renames are skipped; host changes are raised", async () => {
  const { root, outside, cleanup } = echoScratch();
  const a = join(root, "a.txt");
  writeFileSync(a, "1");
  linkSync(a, join(outside, "a.txt")); // the host's way in
  const host = (content: string) => writeFileSync(join(outside, "a.txt"), content);
  const g = new GuestProgram([root]);
  try {
    await g.until("the mount walked", (s) => !s.walking && s.watches === 2);
    assert.equal(g.last?.recording, true);

    appendFileSync(a, "guest write");
    assert.deepEqual(await g.batch([a]), { raised: 0, skipped: 1 }, "the echo of a guest write");
    assert.deepEqual(await g.batch([a]), { raised: 0, skipped: 1 }, "a second echo of the same write (the host saw it in two ticks)");
    host("a host write, longer than the guest's");
    assert.deepEqual(await g.batch([a]), { raised: 1, skipped: 0 }, "a host write after the guest's");
    assert.deepEqual(await g.batch([a]), { raised: 1, skipped: 0 }, "the forwarder's own xattr and open are not recorded as guest changes");

    chmodSync(a, 0o600);
    assert.deepEqual(await g.batch([a]), { raised: 0, skipped: 1 }, "the echo of a guest chmod");
    chmodSync(join(outside, "a.txt"), 0o640);
    assert.deepEqual(await g.batch([a]), { raised: 1, skipped: 0 }, "a host chmod");

    const created = join(root, "sub", "new.txt");
    writeFileSync(created, "made in the guest");
    assert.deepEqual(await g.batch([created, join(root, "sub")]), { raised: 0, skipped: 2 }, "the echo of a guest create (the file, and its directory)");
    unlinkSync(created);
    assert.deepEqual(await g.batch([join(root, "sub")]), { raised: 0, skipped: 1 }, "the echo of a guest delete (the host sends the directory of a path gone)");

    mkdirSync(join(root, "made"));
    await g.until("the guest's new directory watched", (s) => s.watches === 3);
    const moved = join(root, "made", "b.txt");
    renameSync(a, moved);
    assert.deepEqual(await g.batch([moved, root, join(root, "made")]), { raised: 0, skipped: 3 }, "the echo of a guest rename");
    writeFileSync(join(root, "made", "c.txt"), "in a directory made by the guest");
    assert.deepEqual(await g.batch([join(root, "made", "c.txt")]), { raised: 0, skipped: 1 }, "the echo of a write in a new directory");

    const noted = g.last?.noted ?? 0;
    appendFileSync(moved, "guest again");
    await g.until("the guest change recorded (a host change before that is taken for its echo)", (x) => x.noted > noted);
    host("the host again, after the guest, another size");
    assert.deepEqual(await g.batch([moved]), { raised: 1, skipped: 0 }, "a guest change, then a host change before the batch: the host's is raised");

    assert.deepEqual(await g.batch([join(root, "gone")]), { raised: 0, skipped: 0, gone: 1 }, "a path gone is left alone");
  } finally {
    await g.end();
    cleanup();
  }
});

test("guest program: an echo that comes before the guest's own event (the host saw the write first) is skipped once the event is there", async (t) => {
  const { root, outside, cleanup } = echoScratch();
  t.after(cleanup);
  const a = join(root, "a.txt");
  writeFileSync(a, "1");
  linkSync(a, join(outside, "a.txt"));
  // something else runnable all along: the program waits the whole settleS for the writer
  const busy = spawn(process.execPath, ["-e", "for (;;);"], { stdio: "ignore" });
  t.after(() => busy.kill());
  const g = new GuestProgram([root], { settleS: 3 });
  try {
    await g.until("walked", (s) => !s.walking);
    // a guest write as the program can meet it: its data already there (written through the host's
    // name), its event (an open for writing and a close, through the mount's name) queued a second after the path came
    appendFileSync(join(outside, "a.txt"), "the guest's write");
    const handled = g.batch([a]);
    await sleep(1000);
    appendFileSync(a, "");
    assert.deepEqual(await handled, { raised: 0, skipped: 1 });
    assert.equal(g.last?.late, 1);
    appendFileSync(join(outside, "a.txt"), "a host write: no guest event comes");
    assert.deepEqual(await g.batch([a]), { raised: 1, skipped: 0 }, "raised after the wait");
  } finally {
    await g.end();
  }
});

test("guest program: the record is bounded (paths, age) and so is the watching; what is not recorded is raised", async (t) => {
  const { root, cleanup } = echoScratch();
  t.after(cleanup);
  const files = ["f1", "f2", "f3"].map((n) => join(root, n));
  const run = async (limits: Partial<typeof INOTIFY_LIMITS>, body: (g: GuestProgram) => Promise<void>) => {
    const g = new GuestProgram([root], limits);
    try {
      await g.until("walked", (s) => !s.walking);
      await body(g);
    } finally {
      await g.end();
    }
  };
  for (const f of files) writeFileSync(f, "made before");
  await run({ maxRecords: 2 }, async (g) => {
    for (const f of files) appendFileSync(f, "guest");
    // recorded: f1, f2, f3 (written, not made: their directory is not recorded); the oldest is forgotten
    assert.deepEqual(await g.batch(files), { raised: 1, skipped: 2 });
  });
  await run({ recordAgeS: 0.3 }, async (g) => {
    appendFileSync(files[0] ?? "", "guest");
    await sleep(600);
    assert.deepEqual(await g.batch([files[0] ?? ""]), { raised: 1, skipped: 0 }, "a record older than recordAgeS is not used");
  });
  await run({ maxWatches: 1 }, async (g) => {
    assert.equal(g.last?.watches, 1);
    assert.equal(g.last?.capped, true);
    const inSub = join(root, "sub", "x");
    writeFileSync(inSub, "guest, in an unwatched directory");
    writeFileSync(files[1] ?? "", "guest, in the watched one");
    assert.deepEqual(await g.batch([inSub, files[1] ?? ""]), { raised: 1, skipped: 1 });
  });
});
