/**
 * `mountInotify` end to end: a watcher in the guest (python3's ctypes over libc's inotify, as the
 * guest image has python3 for cloud-init and no inotify-tools) on a mount's directory, a file
 * written on the host, and what the watcher saw.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningInstance } from "../../src/index.js";
import { poll } from "../../src/proc/wait.js";
import type { Cli } from "./harness.js";

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
                end = 0
open(out + ".done", "w").close()
`;

export interface InotifyResult {
  /** "TIME MASK NAME" lines the guest watcher saw for the file. */
  events: string[];
  /** Seconds from the host's write to the first event (host and guest clocks; for the log). */
  latency?: number;
}

/**
 * Watches `guestDir` in the guest, writes `name` into `hostDir` on the host (owned by the CLI's
 * user, as QEMU runs as that user), and returns the watcher's events for that name. The watcher
 * gives up `limitS` seconds after it started watching.
 */
export async function guestSeesHostWrite(cli: Cli, vm: RunningInstance, guestDir: string, hostDir: string, name: string, limitS: number): Promise<InotifyResult> {
  const out = `/tmp/tslima-inotify-${process.pid}-${name}`;
  const put = await vm.exec(["sh", "-c", 'cat > "$1.py"', "sh", out], { input: WATCHER });
  assert.equal(put.exitCode, 0, put.stderr);
  const start = await vm.exec(["sh", "-c", 'nohup python3 "$1.py" "$2" "$3" "$1" "$4" >"$1.log" 2>&1 </dev/null &', "sh", out, guestDir, name, String(limitS)]);
  assert.equal(start.exitCode, 0, start.stderr);
  const ready = await poll(async () => ((await vm.exec(["test", "-e", `${out}.ready`])).exitCode === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
  assert.ok(ready, `the guest watcher did not start: ${(await vm.exec(["cat", `${out}.log`])).stdout}`);
  const path = join(hostDir, name);
  const wrote = Date.now() / 1000;
  writeFileSync(path, "written on the host\n");
  cli.chown(path);
  const done = await poll(async () => ((await vm.exec(["test", "-e", `${out}.done`])).exitCode === 0 ? true : undefined), { timeoutMs: (limitS + 60) * 1000, intervalMs: 500 });
  assert.ok(done, "the guest watcher did not end");
  const seen = (await vm.exec(["sh", "-c", 'cat "$1"; rm -f "$1" "$1".*', "sh", out])).stdout;
  const events = seen.split("\n").filter((l) => l.split(" ").slice(2).join(" ") === name);
  const first = Number(events[0]?.split(" ")[0]);
  return { events, ...(events.length > 0 ? { latency: Math.round((first - wrote) * 100) / 100 } : {}) };
}
