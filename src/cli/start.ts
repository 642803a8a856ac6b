import type { Command } from "commander";
import type { AgentEvent, StartRequest } from "../internal.js";
import { addCreateFlags, createRequest, listTemplatesFlag, type CreateFlags } from "./create.js";
import { flagOf } from "./overrides.js";
import { parseDuration } from "./duration.js";
import { TslimaError } from "../errors.js";

interface StartFlags extends CreateFlags {
  timeout?: string;
  foreground?: boolean;
  from?: string;
  activate: boolean;
  progress?: boolean;
}

/** `--activate`, `--activate=true|false` (Colima's spelling). */
export function parseBool(flag: string): (v: string) => boolean {
  return (v) => {
    if (v === "true" || v === "1") return true;
    if (v === "false" || v === "0") return false;
    throw new TslimaError("INVALID_FLAG", `${flag} takes true or false, not "${v}"`, { hint: `e.g. ${flag}=false` });
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`.padStart(7);
}

/** Prints agent events as progress lines with the time since `start` began (when the agent wrote each, else when it was read). */
export function progressPrinter(write: (s: string) => void = (s) => void process.stderr.write(s)): (e: AgentEvent) => void {
  const t0 = Date.now();
  let lastProgress = 0;
  return (e) => {
    const written = Date.parse(e.time);
    const at = `[${seconds((Number.isFinite(written) ? written : Date.now()) - t0)}]`;
    switch (e.kind) {
      case "warning":
        return write(`${at} warning: ${e.warning}\n`);
      case "port-forward":
        if (e.warning !== undefined) return write(`${at} warning: ${e.warning}\n`);
        return e.message !== undefined ? write(`${at}   ${e.message}\n`) : undefined;
      case "step":
        return write(`${at} ${e.message}\n`);
      case "progress": {
        if (Date.now() - lastProgress <= 2000) return;
        lastProgress = Date.now();
        const pct = e.progress.total ? ` (${Math.floor((100 * e.progress.done) / e.progress.total)}%)` : "";
        return write(`${at}   ${(e.progress.done / 1048576).toFixed(0)} MiB${pct}\n`);
      }
      case "ready":
        return write(`${at} READY\n`);
      case "failed": // the thrown error carries it
      case "exiting":
        return;
      default:
        if (e.message) write(`${at}   ${e.message}\n`);
    }
  };
}

/**
 * The config's `message` (already filled with the instance's template variables), as Lima shows it
 * after a start: a header line naming the instance, then the text. "" when there is none.
 */
export function instanceMessage(name: string, message: () => string): string {
  let text: string;
  try {
    text = message().trimEnd();
  } catch {
    return "";
  }
  if (text === "") return "";
  return `Message from the instance "${name}":\n${text}\n`;
}

/** Forwards Ctrl-C / SIGTERM to an AbortController while `fn` runs. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSig = () => {
    process.stderr.write("\ninterrupted: stopping the boot...\n");
    ac.abort();
  };
  process.on("SIGINT", onSig);
  process.on("SIGTERM", onSig);
  try {
    return await fn(ac.signal);
  } finally {
    process.off("SIGINT", onSig);
    process.off("SIGTERM", onSig);
  }
}

export function register(program: Command): void {
  addCreateFlags(
    program
      .command("start")
      .description("start an instance (creating it from a file or template first when needed); returns when it is ready")
      .argument("[target]", "instance NAME, FILE.yaml, template:NAME or URL", "default"),
  )
    .option("--timeout <duration>", "give up after this long (e.g. 10m, 90s; default 10m, 30m for an emulated guest of another arch)")
    .option("--foreground", "run the host agent in this process, until the VM stops")
    .option("--from <snapshot>", "create instance NAME from a booted snapshot (tslima snapshot create --running) and resume it instead of booting")
    .option("--progress", "show the guest's cloud-init output while it boots (Lima's start --progress)")
    .option("--activate [bool]", "docker instances: make the docker context tslima-NAME current (--activate=false only creates it)", parseBool("--activate"), true)
    .action(async (target: string, flags: StartFlags) => {
      if (await listTemplatesFlag(flags)) return;
      const { startRequested, createFromSnapshot } = await import("../internal.js");
      const request = await createRequest(flags);
      if (flags.from !== undefined) {
        // --mount (and --mount-type reverse-sshfs) give it mounts of its own, over reverse-sshfs
        const { name, mounts, mountType, names: _names, ...rest } = request;
        const given = Object.keys(rest).map(flagOf);
        if (given.length > 0) {
          throw new TslimaError("SNAPSHOT_MISMATCH", `--from cannot be combined with ${given.join(", ")}: an instance made from a snapshot runs the snapshot's guest as it booted`, {
            hint: "start it from the snapshot as it is (--mount may add mounts of its own), or boot an instance with that config and snapshot it",
          });
        }
        target = name ?? target;
        const own = mounts ?? [];
        await createFromSnapshot(flags.from, target, {
          config: {
            ...(own.length > 0 ? { mounts: own.map((m) => ({ location: m.location, ...(m.writable === true ? { writable: true } : {}) })) } : {}),
            ...(mountType !== undefined ? { mountType } : {}),
          },
        });
      }
      const opts: StartRequest = {
        ...(flags.from !== undefined ? {} : request),
        ...(flags.timeout !== undefined ? { timeoutMs: parseDuration(flags.timeout) } : {}),
        foreground: flags.foreground === true,
        activate: flags.activate,
        ...(flags.progress === true ? { progress: true } : {}),
        onEvent: progressPrinter(),
        onMessage: (m) => void process.stderr.write(`${m}\n`),
      };
      const started = await withInterrupt((signal) => startRequested(target, { ...opts, signal }));
      if (!started.alreadyRunning && !flags.foreground) {
        process.stdout.write(`Instance ${started.name} is running. Run \`tslima shell ${started.name}\` to open a shell.\n`);
      }
      // The agent filled it from the one lima.yaml it loaded (READY event): no second load here.
      if (!flags.foreground) process.stdout.write(instanceMessage(started.name, () => started.message));
    });
}
