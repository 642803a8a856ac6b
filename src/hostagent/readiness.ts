import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { TslimaError, isTslimaError } from "../errors.js";
import type { MountPlan } from "../mounts/types.js";
import type { AgentEventBody, Step } from "../store/events.js";
import type { InstancePaths } from "../store/paths.js";
import { RESUMED_SSH_POLL_MS, waitForSsh } from "../ssh/wait.js";
import { retry } from "../proc/wait.js";
import type { ReadinessStep } from "./readiness-plan.js";
import { provisionFailures, resetControlMaster, runProbe, waitForReady, type Interrupt } from "./guest.js";
import { verifyGuestMounts } from "./mountcheck.js";
import { startReverseSshfs } from "./daemons.js";
import type { ChildLog, Supervised } from "./processes.js";
import { remountGuest } from "./quiesce.js";
import { syncGuestClock } from "./clock.js";
import { reidentifyGuest } from "./reidentify.js";
import { guestExec, shScript } from "../ssh/exec.js";
import { asRoot } from "../mounts/index.js";
import { SSHFS_HELPER_CHECK, SSHFS_HELPER_INSTALL } from "../mounts/sshfs-helper.js";
import { SSHFS_HELPER_SH } from "../cidata/scripts/sshfs.js";
import { HOST_RESOLVER_DROP_IN, hostResolverDropIn } from "../cidata/host-resolver.js";
import { applyYqEdits } from "./yq-apply.js";
import { followBootLog } from "./boot-log.js";

export interface ReadinessContext {
  paths: InstancePaths;
  mounts: MountPlan;
  step: (s: Step, message: string) => void;
  emit: (e: AgentEventBody) => void;
  interrupt: Interrupt;
  stop: AbortSignal;
  /** Daemons started by a step (reverse-sshfs sessions) join the agent's, which stops them. */
  daemons: Supervised[];
  /** The host resolver's port (hostagent/host-resolver.ts), when it runs. */
  hostResolverPort?: number;
  /** The agent's log for a child by name (their stderr). */
  childLog: (name: string) => ChildLog;
  /** `start --progress`: the boot setup's output is followed while the ready-file step waits. */
  progress?: boolean;
  /** Told how long each step took (the agent's timings.ts), by its kind. */
  timed?: (name: string, ms: number) => void;
}

/** Carries out the readiness steps of a boot plan, in order (see readiness-plan.ts). */
export async function runReadiness(steps: ReadinessStep[], c: ReadinessContext): Promise<void> {
  let provisionFailed: string[] = [];
  for (const s of steps) {
    if (s.announce) c.step(s.announce.step, s.announce.message);
    const t0 = performance.now();
    try {
      provisionFailed = (await runStep(s, c, provisionFailed)) ?? provisionFailed;
      c.timed?.(s.kind, performance.now() - t0);
    } catch (e) {
      if (c.stop.aborted || s.fatal) throw withHint(e, s.hint);
      c.emit({ kind: "warning", warning: `${s.description}: not so (${(e as Error).message}); ${s.hint}` });
    }
  }
}

/** A step's hint on an error that brings none of its own. */
function withHint(e: unknown, hint: string): unknown {
  if (!isTslimaError(e) || e.hint) return e;
  return new TslimaError(e.code, e.message, { hint });
}

/** Runs one step; the provision-report step returns the failed provisioning steps. */
async function runStep(s: ReadinessStep, c: ReadinessContext, provisionFailed: string[]): Promise<string[] | undefined> {
  const { paths } = c;
  switch (s.kind) {
    case "ssh":
      await waitForSsh(paths, s.timeoutMs ?? Infinity, { signal: c.stop, beforeAttempt: c.interrupt, ...(s.denialIsFinal === true ? { denialIsFinal: true, intervalMs: RESUMED_SSH_POLL_MS } : {}) }).catch((e: unknown) => {
        if (s.timeoutMs === undefined || !isTslimaError(e) || e.kind !== "SSH_TIMEOUT") throw e;
        throw new TslimaError("RESUME_FAILED", `the restored guest of ${paths.name} did not answer ssh within ${Math.round(s.timeoutMs / 1000)}s`, {
          hint: `the saved state is discarded: the next \`tslima start ${paths.name}\` boots it afresh; see ${paths.serialLog}`,
        });
      });
      return undefined;
    case "ready-file": {
      const log = c.progress === true ? followBootLog(paths, (line) => c.emit({ kind: "message", message: `[cloud-init] ${line}` }), (warning) => c.emit({ kind: "warning", warning })) : undefined;
      try {
        await waitForReady(paths, s.script, c.interrupt, c.stop, s.graceMs, s.hint);
      } catch (e) {
        await log?.stop(false);
        throw e;
      }
      await log?.stop(true);
      return undefined;
    }
    case "yq":
      await applyYqEdits(paths, s.edits);
      return undefined;
    case "provision-report": {
      await resetControlMaster(paths);
      const failed = await provisionFailures(paths, s.script);
      for (const f of failed) c.emit({ kind: "warning", warning: f });
      return failed;
    }
    case "sshfs-helper":
      await ensureSshfsHelper(paths, s.keys);
      return undefined;
    case "reverse-sshfs":
      c.daemons.push(...(await startReverseSshfs(paths, c.mounts.mounts.filter((m) => m.sshfs !== undefined), c.childLog, c.stop)));
      return undefined;
    case "mounts":
      await retry(() => verifyGuestMounts(paths, c.mounts, s.script), { timeoutMs: s.retryMs, intervalMs: 1000, signal: c.stop, beforeAttempt: c.interrupt });
      return undefined;
    case "probe":
      await runProbe(paths, s, c.interrupt, c.stop, () => c.emit({ kind: "message", message: `waiting for probe: ${s.description}` }), provisionFailed);
      return undefined;
    case "clock": {
      const said = await syncGuestClock(paths, s.script, s.hostname);
      if (said !== "") c.emit({ kind: "message", message: said });
      return undefined;
    }
    case "reidentify": {
      const said = await reidentifyGuest(paths, s.script, { signal: c.stop, beforeAttempt: c.interrupt }, c.timed);
      if (said !== "") c.emit({ kind: "message", message: said });
      return undefined;
    }
    case "remount":
      await remountGuest(paths, s.script, s.mountPoints);
      return undefined;
    case "networks": {
      const r = await guestExec(paths, asRoot(s.script, "tslima-networks", s.nics.flatMap((n) => [n.interface, n.mac])), { timeoutMs: 90_000 });
      if (r.code !== 0) throw new TslimaError("NOT_READY", r.stderr.trim().split("\n").pop() || `exit ${r.code}`);
      for (const line of r.stdout.split("\n")) if (line.trim() !== "") c.emit({ kind: "message", message: `network: ${line.trim()}` });
      return undefined;
    }
    case "host-resolver": {
      if (c.hostResolverPort === undefined) return undefined;
      const said = await pointGuestResolver(paths, s.script, hostResolverDropIn(s.hostIp, c.hostResolverPort));
      if (said !== "") c.emit({ kind: "message", message: said });
      return undefined;
    }
    case "sync": {
      const r = await guestExec(paths, shScript(s.script), { timeoutMs: 300_000 });
      for (const line of r.stdout.split("\n")) if (line.trim() !== "") c.emit({ kind: "warning", warning: line.trim() });
      if (r.code !== 0) throw new TslimaError("NOT_READY", `sync in the guest failed: ${r.stderr.trim().split("\n").pop() || `exit ${r.code}`}`);
      return undefined;
    }
  }
}

/**
 * The host-resolver step: nothing when the guest's drop-in is the one wanted (read as the user: a
 * guest without passwordless sudo that booted with it is fine), else it is written as root.
 */
async function pointGuestResolver(paths: InstancePaths, script: string, text: string): Promise<string> {
  const now = await guestExec(paths, ["cat", HOST_RESOLVER_DROP_IN], { timeoutMs: 30_000 });
  if (now.code === 0 && now.stdout.replace(/\n$/, "") === text) return "";
  const r = await guestExec(paths, asRoot(script, "tslima-host-resolver", [HOST_RESOLVER_DROP_IN, text]), { timeoutMs: 60_000 });
  if (r.code !== 0) throw new TslimaError("NOT_READY", r.stderr.trim().split("\n").pop() || `exit ${r.code}`);
  return r.stdout.trim();
}

/** The sshfs-helper step: nothing when the guest has this helper and allows the keys already, else an install as root. */
async function ensureSshfsHelper(paths: InstancePaths, keys: string[]): Promise<void> {
  const helper = createHash("sha256").update(SSHFS_HELPER_SH).digest("hex");
  const check = await guestExec(paths, ["sh", "-c", SSHFS_HELPER_CHECK, "tslima-sshfs-check", helper, ...keys], { timeoutMs: 60_000 });
  if (check.code === 0) return;
  const r = await guestExec(paths, asRoot(SSHFS_HELPER_INSTALL, "tslima-sshfs-install", keys), { input: SSHFS_HELPER_SH, timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new TslimaError("NOT_READY", `could not install the reverse-sshfs helper in the guest: ${(r.stderr.trim().split("\n").pop() ?? "").slice(0, 300) || `exit ${r.code}`}`);
  }
}
