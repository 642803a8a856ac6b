/**
 * `mountInotify` end to end: a watcher in the guest (python3's ctypes over libc's inotify, as the
 * guest image has python3 for cloud-init and no inotify-tools) on a mount's directory, a file
 * written on the host, and what the watcher saw.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import type { RunningInstance } from "../../src/index.js";
import { poll } from "../../src/proc/wait.js";
import type { Cli } from "./harness.js";
import type { GuestEchoStats } from "../../src/mounts/inotify-status.js";

const WATCHER = `
import ctypes, os, select, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
d, name, out, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
fd = libc.inotify_init1(os.O_NONBLOCK)
if fd < 0 or libc.inotify_add_watch(fd, d.encode(), 0xfff) < 0:
    sys.exit("inotify: errno %d" % ctypes.get_errno())
end = time.time() + limit
with open(out, "w") as f:
    open(out + ".ready", "w").close()
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            break
        buf = os.read(fd, 65536)
        i = 0
        while i < len(buf):
            wd, mask, cookie, ln = struct.unpack_from("iIII", buf, i)
            nm = buf[i + 16:i + 16 + ln].rstrip(b"\\0").decode("utf-8", "replace")
            i += 16 + ln
            f.write("%.3f 0x%x %s\\n" % (time.time(), mask, nm))
            f.flush()
            if nm == name:
                end = min(end, time.time() + 2)
open(out + ".done", "w").close()
`;

export interface InotifyResult {
  /** "TIME MASK NAME" lines the guest watcher saw for the file. */
  events: string[];
  /** At most how many seconds from the host's write to the first event (for the log). */
  latency?: number;
  /** The host file's mtime and size after the guest saw the events, as the host wrote them. */
  unchanged: boolean;
}

/**
 * A guest watcher on `guestDir` (all events) that ends 2 s after its first event for `name`, or after
 * `limitS`. One guest session writes it, starts it, waits (in the guest) until it watches and reads
 * the guest clock; `aheadAtLeastS` is the least the guest clock is ahead of the host's (the guest's
 * `date` ran at some host time within that session, at the latest at its end).
 */
async function startWatcher(vm: RunningInstance, guestDir: string, name: string, limitS: number): Promise<{ aheadAtLeastS: number; done(): Promise<string[]> }> {
  const out = `/tmp/tslima-inotify-${process.pid}-${name}`;
  const start = await vm.exec(["sh", "-c", `cat > "$1.py" && { nohup python3 "$1.py" "$2" "$3" "$1" "$4" >"$1.log" 2>&1 </dev/null & }
i=0; while [ ! -e "$1.ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
[ -e "$1.ready" ] || { cat "$1.log"; exit 3; }
date +%s.%N`, "sh", out, guestDir, name, String(limitS)], { input: WATCHER });
  const t1 = Date.now();
  assert.equal(start.exitCode, 0, `the guest watcher did not start: ${start.stdout}${start.stderr}`);
  return {
    aheadAtLeastS: Number(start.stdout.trim()) - t1 / 1000,
    async done() {
      // waits in the guest for the watcher's end, then hands over what it saw
      const ended = await vm.exec(["sh", "-c", 'i=0; while [ ! -e "$1.done" ] && [ $i -lt "$2" ]; do sleep 0.2; i=$((i+1)); done; [ -e "$1.done" ] || exit 3; cat "$1"; rm -f "$1" "$1".*', "sh", out, String((limitS + 60) * 5)], { timeoutMs: (limitS + 120) * 1000 });
      assert.equal(ended.exitCode, 0, `the guest watcher did not end: ${ended.stderr}`);
      return ended.stdout.split("\n").filter((l) => l !== "");
    },
  };
}

/**
 * The least the guest clock can be ahead of the host's, in seconds: the guest's `date` ran at some
 * host time within the exec's round trip, at the latest at its end.
 */
async function guestClockAheadAtLeast(vm: RunningInstance): Promise<number> {
  const r = await vm.exec(["date", "+%s.%N"]);
  const t1 = Date.now();
  assert.equal(r.exitCode, 0, r.stderr);
  return Number(r.stdout.trim()) - t1 / 1000;
}

/** At most how many seconds after a host time a guest event line's time was (the clocks' offset taken out). */
const latencyOf = (line: string | undefined, hostS: number, aheadAtLeastS: number) =>
  line === undefined ? undefined : Math.round((Number(line.split(" ")[0]) - aheadAtLeastS - hostS) * 100) / 100;

/** The name of a "TIME MASK NAME" line ("" for the watched directory itself) and its mask. */
const eventName = (line: string) => line.split(" ").slice(2).join(" ");
const eventMask = (line: string) => Number(line.split(" ")[1]);

/**
 * Watches `guestDir` in the guest, writes `name` into `hostDir` on the host (owned by the CLI's
 * user, as QEMU runs as that user), and returns the watcher's events for that name. The watcher
 * gives up `limitS` seconds after it started watching, or collects for 2 s more after the first event
 * for the name (the forwarder raises several).
 */
export async function guestSeesHostWrite(cli: Cli, vm: RunningInstance, guestDir: string, hostDir: string, name: string, limitS: number): Promise<InotifyResult> {
  const watcher = await startWatcher(vm, guestDir, name, limitS);
  const ahead = watcher.aheadAtLeastS;
  const path = join(hostDir, name);
  const wrote = Date.now() / 1000;
  writeFileSync(path, "written on the host\n");
  cli.chown(path);
  const written = statSync(path, { bigint: true });
  const events = (await watcher.done()).filter((l) => eventName(l) === name);
  const after = statSync(path, { bigint: true });
  const unchanged = after.mtimeNs === written.mtimeNs && after.size === written.size;
  const latency = latencyOf(events[0], wrote, ahead);
  return { events, unchanged, ...(latency !== undefined ? { latency } : {}) };
}

interface AgentCounters {
  forwarded: number;
  guest?: GuestEchoStats;
}

/** Waits until every path the agent sent was handled by the guest program (its counters say so) and nothing moves for a second. */
async function forwardingDrained(statsPath: string): Promise<AgentCounters> {
  const read = () => JSON.parse(readFileSync(statsPath, "utf8")) as AgentCounters;
  let last = "";
  const drained = await poll(async () => {
    const now = read();
    const g = now.guest;
    const key = JSON.stringify([now.forwarded, g?.lines]);
    if (g && key === last && g.lines === now.forwarded) return now;
    last = key;
    await sleep(1000);
    return undefined;
  }, { timeoutMs: 60_000, intervalMs: 0 });
  assert.ok(drained, `the forwarding did not drain: ${readFileSync(statsPath, "utf8")}`);
  return drained;
}

export interface GuestChanges {
  /** Per guest operation, the watcher's "TIME MASK NAME" lines for its file. */
  events: Record<"write" | "chmod" | "create" | "delete", string[]>;
  /** The watcher's events on the watched directory itself (an echo of the delete would land there). */
  onDirectory: string[];
  /** Echoes the guest program skipped meanwhile, by its counters. */
  skipped: number;
  /** The host write made afterwards: its events, and at most how many seconds from the write to the first (for the log). */
  host: string[];
  latency?: number;
}

/**
 * Root in the guest writes to one file, chmods another, creates a third and deletes a fourth in
 * `guestDir` while a guest watcher watches it; once the agent has forwarded the host's view of those
 * changes and the guest program handled them (its counters), the host writes a fifth file. Returns
 * what the watcher saw for each: an echo would add a second IN_CLOSE_WRITE or IN_ATTRIB to a file's
 * own events, or an IN_ATTRIB on the directory for the delete.
 */
export async function guestChangesOnce(cli: Cli, vm: RunningInstance, guestDir: string, hostDir: string, statsPath: string): Promise<GuestChanges> {
  const names = { write: "echo-write.txt", chmod: "echo-chmod.txt", create: "echo-create.txt", delete: "echo-delete.txt" };
  const host = "echo-host.txt";
  for (const n of [names.write, names.chmod, names.delete]) {
    writeFileSync(join(hostDir, n), "made on the host\n");
    cli.chown(join(hostDir, n));
  }
  const before = await forwardingDrained(statsPath);
  const watcher = await startWatcher(vm, guestDir, host, 120);
  const ops = await vm.exec(["sudo", "sh", "-c", 'cd "$1" && echo more >> "$2" && chmod 600 "$3" && echo new > "$4" && rm "$5"', "sh", guestDir, names.write, names.chmod, names.create, names.delete]);
  assert.equal(ops.exitCode, 0, ops.stderr);
  const after = await forwardingDrained(statsPath);
  const ahead = await guestClockAheadAtLeast(vm);
  const wrote = Date.now() / 1000;
  writeFileSync(join(hostDir, host), "written on the host after the guest's changes\n");
  cli.chown(join(hostDir, host));
  const lines = await watcher.done();
  const of = (n: string) => lines.filter((l) => eventName(l) === n);
  const hostEvents = of(host);
  const latency = latencyOf(hostEvents[0], wrote, ahead);
  return {
    events: { write: of(names.write), chmod: of(names.chmod), create: of(names.create), delete: of(names.delete) },
    onDirectory: of(""),
    skipped: (after.guest?.skipped ?? 0) - (before.guest?.skipped ?? 0),
    host: hostEvents,
    ...(latency !== undefined ? { latency } : {}),
  };
}

/** How many of `lines` have `bit` in their mask. */
function countWith(lines: string[], bit: number): number {
  return lines.filter((l) => (eventMask(l) & bit) !== 0).length;
}

/**
 * Logs `r` under `label` and checks it: each guest change raised its own events once (a second
 * IN_CLOSE_WRITE or IN_ATTRIB, or one on the directory, would be an echo), the guest program skipped
 * the echoes, and the host write raised IN_CLOSE_WRITE (and IN_ATTRIB where user xattrs work).
 */
export function assertEachOnce(label: string, r: GuestChanges, o: { xattrs: boolean }): void {
  console.log(`# ${label}: ${r.skipped} echoes skipped by the guest; the guest watcher saw ${JSON.stringify(r.events)}, on the directory ${JSON.stringify(r.onDirectory)}; the host write after them at most ${r.latency ?? "-"} s later: ${r.host.join("; ")}`);
  const IN = { ATTRIB: 0x4, CLOSE_WRITE: 0x8, CREATE: 0x100, DELETE: 0x200 };
  const expect: Array<[keyof GuestChanges["events"], number, number]> = [
    ["write", IN.CLOSE_WRITE, 1], ["write", IN.ATTRIB, 0],
    ["chmod", IN.ATTRIB, 1], ["chmod", IN.CLOSE_WRITE, 0],
    ["create", IN.CREATE, 1], ["create", IN.CLOSE_WRITE, 1], ["create", IN.ATTRIB, 0],
    ["delete", IN.DELETE, 1],
  ];
  for (const [op, bit, n] of expect) assert.equal(countWith(r.events[op], bit), n, `${op}: ${r.events[op].join("; ")}`);
  assert.deepEqual(r.onDirectory, [], "no event on the directory itself (the echo of the delete)");
  assert.ok(r.skipped >= 4, `the guest program skipped ${r.skipped} echoes`);
  assert.ok(countWith(r.host, IN.CLOSE_WRITE) > 0, `the host write: ${r.host.join("; ")}`);
  if (o.xattrs) assert.ok(countWith(r.host, IN.ATTRIB) > 0, `the host write: ${r.host.join("; ")}`);
}

/** Guest side of the race check: chmod back and forth, read the mode back after each, end on 640. */
const CHMOD_LOOP = `
import os, stat, sys, time
p, limit = sys.argv[1], float(sys.argv[2])
end, rounds, undone = time.time() + limit, 0, 0
while time.time() < end:
    os.chmod(p, 0o600)
    os.chmod(p, 0o640)
    if stat.S_IMODE(os.stat(p).st_mode) != 0o640:
        undone += 1
    rounds += 1
os.chmod(p, 0o640)
print(rounds, undone)
`;

export interface ChmodRace {
  /** chmod 600 + chmod 640 rounds the guest made, and how many times the 640 was not read back. */
  rounds: number;
  undone: number;
  /** Host touches (each a host IN_ATTRIB the agent forwards) while the guest chmodded. */
  touches: number;
  /** The guest's mode of the file after the forwarding went quiet. */
  finalMode: string;
}

/**
 * While the host touches `name` in `hostDir` again and again (each an attribute change the agent
 * forwards to the guest) and the agent echoes the guest's own chmods back, root in the guest chmods
 * the same file 600 then 640 for `seconds`, reading the mode back each time. A forwarder that writes
 * an attribute value it read before (`chmod --reference=P P`) puts a 600 back after the guest's 640
 * now and then; one that writes no value never does.
 */
export async function guestChmodRace(cli: Cli, vm: RunningInstance, guestDir: string, hostDir: string, name: string, seconds: number, statsPath: string): Promise<ChmodRace> {
  const hostPath = join(hostDir, name);
  writeFileSync(hostPath, "chmod race\n");
  cli.chown(hostPath);
  const script = `/tmp/tslima-chmod-race-${process.pid}-${name}-${createHash("sha256").update(guestDir).digest("hex").slice(0, 8)}.py`;
  let touches = 0;
  const toucher = setInterval(() => {
    const now = new Date();
    utimesSync(hostPath, now, now);
    touches++;
  }, 20);
  let out: { exitCode: number | null; stdout: string; stderr: string };
  try {
    out = await vm.exec(["sh", "-c", 'cat > "$1" && sudo python3 "$1" "$2" "$3"; s=$?; rm -f "$1"; exit $s', "sh", script, `${guestDir}/${name}`, String(seconds)], { input: CHMOD_LOOP });
  } finally {
    clearInterval(toucher);
  }
  assert.equal(out.exitCode, 0, out.stderr);
  const [rounds, undone] = out.stdout.trim().split(/\s+/).map(Number);
  // Forwarding has drained when the agent's counter stops moving for a second (it ticks every 100 ms).
  const forwarded = () => (JSON.parse(readFileSync(statsPath, "utf8")) as { forwarded: number }).forwarded;
  let last = -1;
  await poll(async () => {
    const now = forwarded();
    if (now === last) return true;
    last = now;
    await sleep(1000);
    return undefined;
  }, { timeoutMs: 60_000, intervalMs: 0 });
  const finalMode = (await vm.exec(["stat", "-c", "%a", `${guestDir}/${name}`])).stdout.trim();
  return { rounds: rounds ?? 0, undone: undone ?? -1, touches, finalMode };
}
