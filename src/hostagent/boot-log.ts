/**
 * `start --progress` (Lima's): while the agent waits for the guest's boot setup (the wait-cloud-init
 * step), it follows that boot's cloud-init output (and, on a light boot, tslima-boot.service's) over
 * ssh and emits each line as a message event "[cloud-init] LINE", which `start` prints. Lima tails
 * /var/log/cloud-init-output.log (or cloud-init-main.service's journal); the journal of this boot
 * (`-b`) has the same lines as they are written and nothing of earlier boots.
 */
import { asRoot } from "../mounts/index.js";
import { startChild, exitOf } from "../proc/child.js";
import { LineSplitter } from "../proc/tail.js";
import { sshArgv } from "../ssh/argv.js";
import type { InstancePaths } from "../store/paths.js";

/** The units whose output is the boot's setup: cloud-init's stages (old and new names) and the light boot's unit. */
const UNITS = ["cloud-init-local", "cloud-init-main", "cloud-init", "cloud-config", "cloud-final", "tslima-boot"];

/** As root (the user may not read the system journal): this boot's lines of UNITS, followed. */
export const FOLLOW_SCRIPT = `exec journalctl -b -f -q -o cat ${UNITS.map((u) => `-u ${u}.service`).join(" ")}`;

/** The guest decides how much it prints: lines past this many are not shown. */
const MAX_LINES = 20_000;
/** A longer line is dropped (LineSplitter). */
const MAX_LINE = 4096;

export interface BootLogFollower {
  /** Ends the follower after a last moment for lines in flight. */
  stop(): Promise<void>;
}

/** Starts following the guest's boot log; `line` gets each line (at most MAX_LINES, then one notice). */
export function followBootLog(paths: InstancePaths, line: (text: string) => void): BootLogFollower {
  const child = startChild("ssh", sshArgv(paths, { tty: false, command: asRoot(FOLLOW_SCRIPT, "tslima-boot-log", []), login: false }), { stdio: ["ignore", "pipe", "ignore"] });
  const exited = exitOf(child);
  const split = new LineSplitter(MAX_LINE);
  let shown = 0;
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    for (const l of split.push(chunk)) {
      if (shown > MAX_LINES) return;
      if (++shown > MAX_LINES) line(`(more than ${MAX_LINES} lines: the rest is in the guest's journal)`);
      else if (l.trim() !== "") line(l);
    }
  });
  return {
    async stop() {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      child.kill("SIGTERM");
      await exited;
    },
  };
}
