import type { ChildProcess } from "node:child_process";
import { startChild } from "../proc/child.js";
import { LineSplitter } from "../proc/tail.js";
import { setTimeout as sleep } from "node:timers/promises";
import type { InstancePaths } from "../store/paths.js";
import { sshArgv } from "../ssh/index.js";
import type { Listener } from "./types.js";
import { parseWatcherLine, watcherCommand } from "./watchscript.js";

/** A watcher line longer than this (tens of thousands of listeners) is dropped, not held: the guest's output is hostile. */
const MAX_LINE = 1 << 20;

export interface WatcherOptions {
  /** Every listener set the guest reports; `fresh` for the first one after a (re)start of the watcher. */
  onSnapshot(listeners: Listener[], fresh: boolean): void;
  log(message: string): void;
  /** Seconds between two looks at /proc/net/tcp in the guest (default 1). */
  intervalSec?: number;
}

export interface Watcher {
  /** Ends the watcher; resolves once its ssh process is gone. */
  stop(): Promise<void>;
}

/**
 * Runs the listener watcher in the guest as one long-lived `ssh -F ssh.config lima-NAME -- sh -c
 * SCRIPT` (a session on the ControlMaster) and restarts it, after a pause that grows up to 10 s,
 * whenever it ends until stopped.
 */
export function watchGuestListeners(paths: InstancePaths, o: WatcherOptions): Watcher {
  const argv = sshArgv(paths, { tty: false, command: watcherCommand(o.intervalSec ?? 1), login: false });
  const stopper = new AbortController();
  let child: ChildProcess | undefined;

  const runOnce = (): Promise<{ code: number | null; stderr: string; sawOutput: boolean }> =>
    new Promise((resolve) => {
      const c = startChild("ssh", argv, { stdio: ["ignore", "pipe", "pipe"] });
      child = c;
      const split = new LineSplitter(MAX_LINE);
      let stderr = "";
      let fresh = true;
      let sawOutput = false;
      c.stdout?.on("data", (b: Buffer) => {
        for (const line of split.push(b.toString("utf8"))) {
          const listeners = parseWatcherLine(line);
          if (listeners === undefined) continue;
          sawOutput = true;
          o.onSnapshot(listeners, fresh);
          fresh = false;
        }
      });
      c.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString("utf8")).slice(-2000)));
      c.once("error", (e) => resolve({ code: 127, stderr: `ssh: ${e.message}`, sawOutput }));
      // Not "close": the ControlMaster holds our stdout (the mux client hands its fds over) until the
      // guest side notices the session is gone, which may take one refresh round.
      c.once("exit", (code) => {
        c.stdout?.destroy();
        c.stderr?.destroy();
        resolve({ code, stderr, sawOutput });
      });
    });

  const loop = async () => {
    let delay = 1000;
    while (!stopper.signal.aborted) {
      const r = await runOnce();
      if (stopper.signal.aborted) break;
      const last = r.stderr.trim().split("\n").pop() ?? "";
      o.log(`port forwarding: the guest listener watcher ended (code ${r.code})${last ? `: ${last}` : ""}; restarting`);
      delay = r.sawOutput ? 1000 : Math.min(delay * 2, 10_000);
      try {
        await sleep(delay, undefined, { signal: stopper.signal });
      } catch {
        break;
      }
    }
  };
  const done = loop();

  return {
    async stop() {
      stopper.abort();
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        c.kill("SIGTERM");
        const killer = setTimeout(() => c.kill("SIGKILL"), 3000);
        await done;
        clearTimeout(killer);
      } else await done;
    },
  };
}
