/**
 * End to end, `limactl watch` (Lima's command) as a script uses it: `limactl watch --json NAME` runs
 * beside a VM's whole life, started before the instance (or even its home) exists. It sees the
 * instance created, its agent start and the instance ready (Running), a guest listener's port
 * forward added and stopped, `limactl stop` (exiting, then stopped: Stopped) and the delete, and
 * ends with exit 0 on Ctrl-C. Then `watch --history` (text) replays the stopped instance's log. One
 * VM, a clone of the base snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "../helpers.js";
import { Cli, bootGuest } from "./harness.js";
import type { WatchEvent } from "../../src/index.js";

const NAME = "wt";
const PORT = 8131;
const cli = new Cli("watch");

/** `limactl ARGS` in the background with the e2e home: its stdout and stderr as they come, and its end. */
function limactl(args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string; exit: Promise<number | string> } {
  const child = spawn(process.execPath, [join(repoRoot, "bin", "limactl.js"), ...args], { cwd: cli.root, env: cli.env() });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  child.stdin.end();
  const exit = new Promise<number | string>((resolve) => child.once("close", (code, signal) => resolve(code ?? signal ?? "?")));
  return { child, out: () => out, err: () => err, exit };
}

/** Polls `check` every 200 ms until it returns a value; fails naming `what` after `seconds`. */
async function within<T>(seconds: number, what: string, check: () => T | undefined, shown: () => string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() - t0 > seconds * 1000) assert.fail(`${what}: not within ${seconds}s; watch printed:\n${shown()}`);
    await sleep(200);
  }
}

test("watch --json follows an instance from its creation to its deletion; Ctrl-C ends it with 0", { timeout: 20 * 60_000 }, async () => {
  mkdirSync(cli.root, { recursive: true });
  const watch = limactl(["watch", "--json", NAME]);
  try {
    await within(30, "watch started", () => (/Watching for events/.test(watch.err()) ? true : undefined), watch.err);
    const events = (): WatchEvent[] =>
      watch
        .out()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as WatchEvent);
    const find = (what: string, pred: (e: WatchEvent) => boolean, seconds = 60) => within(seconds, what, () => events().find(pred), watch.out);
    {
      await using vm = await bootGuest(cli, { from: "base-snapshot", name: NAME });
      assert.ok(events().every((e) => e.instance === NAME), "only the named instance");
      await find("created", (e) => e.event.kind === "created");
      await find("starting", (e) => e.event.kind === "starting");
      const ready = await find("ready", (e) => e.event.kind === "ready");
      assert.equal(ready.instanceStatus, "Running");
      assert.equal(ready.event.status.running, true);
      assert.equal(ready.event.status.sshLocalPort, vm.info().sshLocalPort);

      const server = `mkdir -p /tmp/www && cd /tmp/www && nohup python3 -m http.server ${PORT} --bind 127.0.0.1 </dev/null >/tmp/http.log 2>&1 & echo started`;
      await cli.ok(["shell", NAME, "sh", "-c", server]);
      const hostAddr = `127.0.0.1:${PORT}`;
      const added = await find("the forward added", (e) => e.event.status.portForward?.type === "forwarding" && e.event.status.portForward.hostAddr === hostAddr);
      assert.deepEqual(added.event.status.portForward, { type: "forwarding", protocol: "tcp", guestAddr: hostAddr, hostAddr });
      await cli.ok(["shell", NAME, "sh", "-c", `pkill -f "[h]ttp.server ${PORT}"; true`]);
      await find("the forward stopped", (e) => e.event.status.portForward?.type === "stopping" && e.event.status.portForward.hostAddr === hostAddr);

      await cli.ok(["stop", NAME]);
      await find("exiting", (e) => e.event.kind === "exiting");
      const stopped = await find("stopped", (e) => e.event.kind === "stopped");
      assert.equal(stopped.instanceStatus, "Stopped");
      const kinds = events().map((e) => e.event.kind);
      console.log(`# watch saw: ${kinds.join(", ")}; ready after ${((Date.parse(ready.event.time) - Date.parse(events()[0]?.event.time ?? "")) / 1000).toFixed(1)} s`);
      assert.ok(kinds.indexOf("ready") < kinds.indexOf("port-forward") && kinds.indexOf("exiting") < kinds.indexOf("stopped"), `in order: ${kinds.join(", ")}`);

      // the stopped instance's last run, replayed from its event log, as text
      const history = limactl(["watch", "--history", NAME]);
      await within(30, "the history replayed", () => (/\| exiting$/m.test(history.out()) ? true : undefined), history.out);
      history.child.kill("SIGINT");
      assert.equal(await history.exit, 0);
      assert.match(history.out(), new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${NAME} \\| running`, "m"));
      assert.match(history.out(), new RegExp(`\\| forwarding tcp guest ${hostAddr} to ${hostAddr}$`, "m"));
    }
    // disposing the instance deleted it
    await find("deleted", (e) => e.event.kind === "deleted");
    watch.child.kill("SIGINT");
    assert.equal(await watch.exit, 0, watch.err());
  } finally {
    watch.child.kill("SIGKILL");
    await cli.cleanup();
  }
});
