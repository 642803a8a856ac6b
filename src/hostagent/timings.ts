/**
 * The host agent's phase clock (issue 30): how long each part of a start took, from the agent
 * process's own start (Node's time origin) to READY. The agent says it in one message event just
 * before READY ("timings: ..."), so it is in the event log and in `tslima start`'s output.
 */
import { performance } from "node:perf_hooks";

export class PhaseClock {
  private readonly phases: Array<[string, number]> = [];

  /** Node's startup and the agent's module loading: the time origin to now. */
  constructor(now = performance.now()) {
    this.phases.push(["agent startup", now]);
  }

  add(name: string, ms: number): void {
    this.phases.push([name, ms]);
  }

  /** Runs `fn`, adding how long it took as `name` (also when it throws). */
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - t0);
    }
  }

  /** The message of the timings event: each phase, then the whole since the time origin. */
  summary(now = performance.now()): string {
    return formatTimings(this.phases, now);
  }
}

/** "timings: a 12 ms, b 1.5 s, ...; total 4.1 s (other 0.2 s)": `other` is the part no phase covers. Pure. */
export function formatTimings(phases: ReadonlyArray<readonly [string, number]>, totalMs: number): string {
  const covered = phases.reduce((sum, [, ms]) => sum + ms, 0);
  const list = phases.map(([name, ms]) => `${name} ${duration(ms)}`).join(", ");
  return `timings: ${list}; total ${duration(totalMs)} (other ${duration(Math.max(0, totalMs - covered))})`;
}

function duration(ms: number): string {
  return Math.round(ms) < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
