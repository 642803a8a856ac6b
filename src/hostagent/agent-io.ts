/**
 * How the host agent reports: events (JSON lines, ha.stdout.log; store/events.ts) carrying the
 * agent's status, and a human log (ha.stderr.log) into which its children's stderr goes too.
 */
import { isTslimaError } from "../errors.js";
import type { AgentEventBody, AgentStatus, Step } from "../store/events.js";
import type { ChildLog } from "./processes.js";

export interface AgentIO {
  /** Writes one event line (ha.stdout.log). */
  emit(e: { status: AgentStatus } & AgentEventBody): void;
  /** Human-readable log line (ha.stderr.log). */
  log(message: string): void;
}

export interface AgentOptions {
  /** Aborted on SIGTERM/SIGINT: stop the boot, or power the VM off. */
  stop: AbortSignal;
  /** How long the guest gets to halt after system_powerdown. */
  powerdownMs?: number;
  /** `start --progress`: the guest's boot setup output as "[cloud-init] LINE" messages while it is waited for (boot-log.ts). */
  progress?: boolean;
}

/** The agent process's arguments (`main.js DIR [--progress]`), as `start` spawns it and main.ts reads them. Pure. */
export function agentArgs(dir: string, o: Pick<AgentOptions, "progress">): string[] {
  return [dir, ...(o.progress === true ? ["--progress"] : [])];
}

/** The instance directory and options of agentArgs' words; undefined when they are not its. Pure. */
export function parseAgentArgs(argv: readonly string[]): { dir: string; progress: boolean } | undefined {
  const [dir, ...rest] = argv;
  if (dir === undefined || dir.startsWith("-") || rest.some((a) => a !== "--progress")) return undefined;
  return { dir, progress: rest.length > 0 };
}

/** The agent's voice: its status, and events and log lines stamped with it. */
export class Reporter {
  readonly status: AgentStatus = { running: false };

  constructor(private readonly io: AgentIO) {}

  emit(e: AgentEventBody): void {
    this.io.emit({ status: { ...this.status }, ...e });
  }

  log(message: string): void {
    this.io.log(message);
  }

  /** Logs a failure: its message, and its stack when it is not a TslimaError (a bug). */
  logError(context: string, e: unknown): void {
    this.io.log(`${context}: ${isTslimaError(e) && e.hint ? `${e.message}\nhint: ${e.hint}` : (e as Error).message}`);
    if (!isTslimaError(e)) this.io.log(e instanceof Error && e.stack ? e.stack : String(e));
  }

  /** A step begins: logged and announced. */
  step(step: Step, message: string): void {
    this.io.log(message);
    this.emit({ kind: "step", step, message });
  }

  warn(warning: string): void {
    this.emit({ kind: "warning", warning });
  }

  say(message: string): void {
    this.emit({ kind: "message", message });
  }

  /** The log of a child process: each of its lines, prefixed with its name. */
  childLog(name: string): ChildLog {
    return (line) => this.io.log(`${name}: ${line}`);
  }
}
