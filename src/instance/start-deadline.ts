import type { AgentEvent } from "../store/events.js";

/**
 * The start's timeout, counted from the agent's launch without the time the agent spends resolving the
 * image (a download, or a local build such as build:debian-12-docker made at its first start), as
 * Lima's timeout counts only after its image is fetched: a long first build does not fail the boot.
 * The resolving lasts from the agent's `resolve-image` step to its next step.
 */
export class StartDeadline {
  private resolvingSince: number | undefined;
  private excludedMs = 0;

  constructor(
    readonly timeoutMs: number,
    private readonly t0: number = Date.now(),
  ) {}

  /** Follows the agent's steps. */
  see(e: AgentEvent, now: number = Date.now()): void {
    if (e.kind !== "step") return;
    if (this.resolvingSince !== undefined) this.excludedMs += now - this.resolvingSince;
    this.resolvingSince = e.step === "resolve-image" ? now : undefined;
  }

  /** Whether the time counted so far reached the timeout; never while the image is being resolved. */
  expired(now: number = Date.now()): boolean {
    return this.resolvingSince === undefined && now - this.t0 - this.excludedMs >= this.timeoutMs;
  }
}
