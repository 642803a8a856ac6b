/**
 * A warm pool (`Instance.pool(SNAP, { size })`): it keeps `size` instances made from a booted
 * snapshot started and ready, so `acquire()` hands one out at once and starts a replacement in the
 * background. The pool's logic is here, over an injected `start` function (api.ts passes one that
 * makes and resumes an instance from the snapshot; the unit tests pass a fake).
 *
 * - At most `size` instances are ready or starting; at most `concurrency` start at a time (default
 *   1: under TCG each resume takes a core for seconds, so they start one after another).
 * - An acquired instance belongs to the caller (disposing it deletes it); the pool forgets it.
 * - A failed start rejects the `acquire()`/`ready()` calls waiting then (or, when none waits, the
 *   next one that would wait). The pool never retries by itself: the next call starts again. After
 *   `maxFailures` failures in a row it stops for good and every call rejects with POOL_FAILED.
 * - Closing (`close()`, `Symbol.asyncDispose`) aborts the starts in progress, waits for them, and
 *   disposes every instance it holds; later calls reject with POOL_CLOSED.
 */
import "./dispose-symbol.js";
import { TslimaError } from "../errors.js";

/** What the pool holds: something with a name that disposing removes. */
export interface PoolMember extends AsyncDisposable {
  readonly name: string;
}

export interface PoolOptions {
  /** How many instances to keep ready (≥ 1). */
  size: number;
  /** How many may start at the same time (≥ 1); default 1. */
  concurrency?: number;
  /** Failed starts in a row after which the pool stops refilling (≥ 1); default 3. */
  maxFailures?: number;
}

/** Makes and starts one instance; `signal` aborts when the pool closes. Leaves nothing behind when it fails. */
export type PoolStarter<T extends PoolMember> = (signal: AbortSignal) => Promise<T>;

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new TslimaError("INVALID_OPTION", `options.${name} must be an integer ≥ 1, not ${String(v)}`, { hint: `give Instance.pool a ${name} of 1 or more` });
  }
  return v;
}

export class InstancePool<T extends PoolMember> implements AsyncDisposable {
  readonly size: number;
  readonly concurrency: number;
  readonly maxFailures: number;
  private readonly starter: PoolStarter<T>;
  private readonly held: T[] = [];
  private readonly acquirers: Waiter<T>[] = [];
  private readonly readyWaiters: Waiter<void>[] = [];
  private readonly starts = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private failures = 0;
  private pendingError: Error | undefined;
  private failed: TslimaError | undefined;
  private closing: Promise<void> | undefined;
  private readonly disposeErrors: unknown[] = [];

  constructor(starter: PoolStarter<T>, opts: PoolOptions) {
    this.size = positiveInt("size", opts.size);
    this.concurrency = positiveInt("concurrency", opts.concurrency ?? 1);
    this.maxFailures = positiveInt("maxFailures", opts.maxFailures ?? 3);
    this.starter = starter;
  }

  /** Instances ready to be handed out now. */
  get readyCount(): number {
    return this.held.length;
  }

  /** Instances starting now. */
  get startingCount(): number {
    return this.starts.size;
  }

  /** Resolves once `size` instances are ready (starting them as needed). */
  ready(): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    if (this.held.length >= this.size) return Promise.resolve();
    return this.wait(this.readyWaiters);
  }

  /**
   * A ready instance, at once when one is ready, else the next that becomes ready; a replacement
   * starts in the background. It is the caller's: disposing it deletes it.
   */
  acquire(): Promise<T> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const vm = this.held.shift();
    if (vm !== undefined) {
      this.refill();
      return Promise.resolve(vm);
    }
    return this.wait(this.acquirers);
  }

  /** Stops refilling, aborts and waits for the starts in progress, disposes every instance it holds. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    const closed = this.closedError();
    for (const w of this.acquirers.splice(0)) w.reject(closed);
    for (const w of this.readyWaiters.splice(0)) w.reject(closed);
    this.abort.abort(closed);
    while (this.starts.size > 0) await Promise.allSettled([...this.starts]);
    await Promise.all(this.held.splice(0).map((vm) => this.discard(vm)));
    if (this.disposeErrors.length > 0) throw this.disposeErrors[0];
  }

  private closedError(): TslimaError {
    return new TslimaError("POOL_CLOSED", "the instance pool is closed: it hands out no more instances", {
      hint: "acquire before disposing the pool, or make a new one with Instance.pool",
    });
  }

  private refusal(): TslimaError | undefined {
    if (this.closing) return this.closedError();
    return this.failed;
  }

  /** Queues a waiter and refills; a kept error of a refill nobody waited for rejects it instead (once). */
  private wait<V>(queue: Waiter<V>[]): Promise<V> {
    const kept = this.pendingError;
    this.pendingError = undefined;
    if (kept !== undefined) return Promise.reject(kept);
    return new Promise<V>((resolve, reject) => {
      queue.push({ resolve, reject });
      this.refill();
    });
  }

  /** Starts instances while fewer than `size` are ready or starting, `concurrency` at a time. */
  private refill(): void {
    while (!this.closing && !this.failed && this.held.length + this.starts.size < this.size && this.starts.size < this.concurrency) {
      const p: Promise<void> = this.starter(this.abort.signal).then(
        (vm) => this.started(p, vm),
        (e: unknown) => this.failedStart(p, e),
      );
      this.starts.add(p);
    }
  }

  private async started(p: Promise<void>, vm: T): Promise<void> {
    this.starts.delete(p);
    this.failures = 0;
    if (this.closing) return this.discard(vm);
    const w = this.acquirers.shift();
    if (w) w.resolve(vm);
    else this.held.push(vm);
    if (this.held.length >= this.size) for (const r of this.readyWaiters.splice(0)) r.resolve();
    this.refill();
  }

  /** Disposes an instance the pool holds; an error is kept for close() to throw. */
  private async discard(vm: T): Promise<void> {
    try {
      await vm[Symbol.asyncDispose]();
    } catch (e) {
      this.disposeErrors.push(e);
    }
  }

  private failedStart(p: Promise<void>, e: unknown): void {
    this.starts.delete(p);
    if (this.closing) return;
    this.failures++;
    let err = e instanceof Error ? e : new Error(String(e));
    if (this.failures >= this.maxFailures) {
      err = this.failed = new TslimaError("POOL_FAILED", `the instance pool stopped refilling: ${this.failures} starts failed in a row (the last: ${e instanceof Error ? e.message : String(e)})`, {
        hint: "see the cause; make a new pool once it is fixed",
        cause: e,
      });
    }
    const waiting = [...this.acquirers.splice(0), ...this.readyWaiters.splice(0)];
    for (const w of waiting) w.reject(err);
    if (waiting.length === 0 && !this.failed) this.pendingError = err;
  }
}
