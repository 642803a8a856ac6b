/**
 * `start --progress` (Lima's): while the agent waits for the guest's boot setup (the wait-cloud-init
 * step), it follows that boot's cloud-init output (on a light boot, systemd's lines for tslima-boot.service,
 * whose own output goes to /var/log/cloud-init-output.log) over
 * ssh and emits each line as a message event "[cloud-init] LINE", which `start` prints. Lima tails
 * /var/log/cloud-init-output.log (or cloud-init-main.service's journal); the journal of this boot
 * (`-b`) has the same lines as they are written and nothing of earlier boots.
 */
import { asRoot } from "../mounts/index.js";
import { startChild, exitOf } from "../proc/child.js";
import { LineSplitter, TailBuffer } from "../proc/tail.js";
import { sshArgv } from "../ssh/argv.js";
import type { InstancePaths } from "../store/paths.js";

/** The units whose output is the boot's setup: cloud-init's stages (old and new names) and the light boot's unit. */
const UNITS = ["cloud-init-local", "cloud-init-main", "cloud-init", "cloud-config", "cloud-final", "tslima-boot"];

/** As root (the user may not read the system journal): this boot's lines of UNITS from its start (`-n all`), followed. */
export const FOLLOW_SCRIPT = `exec journalctl -b -f -n all -q -o cat ${UNITS.map((u) => `-u ${u}.service`).join(" ")}`;

/** The guest decides how much it prints: lines past this many are not shown. */
const MAX_LINES = 20_000;
/** A longer line is dropped (LineSplitter). */
const MAX_LINE = 4096;
/** How long a follower of a guest that is ready gets to show the end of its boot setup (ssh and journalctl start slowly under TCG). */
const END_WAIT_MS = 30_000;

/** The last line of the boot setup: cloud-init's closing line, or systemd's for the light boot's unit. Pure. */
export function isBootSetupEnd(line: string): boolean {
  return /^Cloud-init v\. \S+ finished/.test(line) || /^Finished tslima-boot\.service\b/.test(line);
}

export interface BootLogFollower {
  /**
   * Ends the follower. `ready`: the guest is ready, so its log is shown up to the end of the boot
   * setup first (as Lima's start --progress waits for cloud-init's end), for at most END_WAIT_MS.
   */
  stop(ready: boolean): Promise<void>;
}

/**
 * Starts following the guest's boot log; `line` gets each line (at most MAX_LINES, then one notice),
 * `warn` why the log cannot be followed (the follower ended on its own with a failure, e.g. no
 * passwordless sudo in the guest).
 */
export function followBootLog(paths: InstancePaths, line: (text: string) => void, warn: (text: string) => void): BootLogFollower {
  const child = startChild("ssh", sshArgv(paths, { tty: false, command: asRoot(FOLLOW_SCRIPT, "tslima-boot-log", []), login: false }), { stdio: ["ignore", "pipe", "pipe"] });
  const err = new TailBuffer(4096);
  child.stderr?.on("data", (b: Buffer) => err.push(b));
  let stopping = false;
  const exited = exitOf(child).then((e) => {
    if (!stopping && e.code !== 0) {
      const why = err.text().trim().split("\n").pop() || `exit ${e.code ?? e.signal}`;
      warn(`start --progress: the guest's boot log cannot be followed (${why}); it is read as root with sudo -n (user.passwordlessSudo)`);
    }
    return e;
  });
  const split = new LineSplitter(MAX_LINE);
  let shown = 0;
  let seenEnd = (): void => undefined;
  const end = new Promise<void>((resolve) => (seenEnd = resolve));
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    for (const l of split.push(chunk)) {
      if (shown > MAX_LINES) return;
      if (++shown > MAX_LINES) line(`(more than ${MAX_LINES} lines: the rest is in the guest's journal)`);
      else if (l.trim() !== "") line(l);
      if (isBootSetupEnd(l)) seenEnd();
    }
  });
  return {
    async stop(ready) {
      let timer: NodeJS.Timeout | undefined;
      if (ready) await Promise.race([end, exited, new Promise((r) => (timer = setTimeout(r, END_WAIT_MS)))]);
      clearTimeout(timer);
      stopping = true;
      child.kill("SIGTERM");
      await exited;
    },
  };
}
