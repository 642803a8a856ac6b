import { setTimeout as sleep } from "node:timers/promises";
import { TslimaError } from "../errors.js";

/** A point in time to give up at; `Infinity` never comes. */
export class Deadline {
  private readonly at: number;

  constructor(readonly ms: number) {
    this.at = Date.now() + ms;
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.at - Date.now());
  }

  expired(): boolean {
    return Date.now() >= this.at;
  }
}

export interface PollOptions {
  /** Give up after this long (Infinity: never). The last attempt happens at the deadline. */
  timeoutMs: number;
  /** Pause between attempts. */
  intervalMs: number;
  /** Ends the wait early: the pause is cut short and the wait throws (see abortError). */
  signal?: AbortSignal;
  /** Called before each attempt; throws to end the wait (the host agent's check that QEMU still runs). */
  beforeAttempt?: () => void;
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // aborted: the caller checks the signal
  }
}

/** What an aborted wait throws: the signal's reason when it is a TslimaError, else INTERRUPTED. */
export function abortError(signal: AbortSignal): TslimaError {
  return signal.reason instanceof TslimaError ? signal.reason : new TslimaError("INTERRUPTED", "the operation was interrupted");
}

/**
 * The one wait loop: calls `attempt` until it returns something other than undefined, pausing
 * `intervalMs` between attempts. Resolves with that value, or undefined when the deadline passed.
 * `attempt` gets the deadline (to bound its own work) and the attempt number, and may throw to end
 * the wait.
 */
export async function poll<T>(
  attempt: (deadline: Deadline, n: number) => T | undefined | Promise<T | undefined>,
  opts: PollOptions,
): Promise<T | undefined> {
  const deadline = new Deadline(opts.timeoutMs);
  for (let n = 1; ; n++) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    opts.beforeAttempt?.();
    const value = await attempt(deadline, n);
    if (value !== undefined) return value;
    if (deadline.expired()) return undefined;
    await pause(Math.min(opts.intervalMs, deadline.remaining()), opts.signal);
  }
}

/** Calls `fn` until it does not throw; after the deadline the last error is thrown. */
export async function retry<T>(fn: (deadline: Deadline, n: number) => Promise<T>, opts: PollOptions): Promise<T> {
  let last: unknown;
  const done = await poll(async (deadline, n) => {
    try {
      return { value: await fn(deadline, n) };
    } catch (e) {
      last = e;
      return undefined;
    }
  }, opts);
  if (done === undefined) throw last;
  return done.value;
}
