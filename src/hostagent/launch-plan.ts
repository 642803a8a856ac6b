/**
 * How a start brings its VM up, as data (pure): boot it, resume the state a suspend saved, or
 * re-attach to the QEMU that outlived its host agent (attach-plan.ts decides whether it may). The
 * launch phase of the agent (agent.ts, launch.ts) dispatches on `variant`.
 */
import { hardwareArgv, incomingArgv, type ArgvOwner } from "../qemu/argv.js";
import type { QemuFacts } from "../qemu/types.js";
import { resumeObstacle, type FileIdentity, type SuspendRecord } from "../store/suspend-record.js";
import { resumeSteps, withReidentify, type ReadinessStep, type StepNic } from "./readiness-plan.js";
import { attachDecision, attachSteps, type Orphan } from "./attach-plan.js";

/** What the host found of a saved state before planning (hostagent/resume.ts readSavedState). */
export interface SavedState {
  /** The suspend record: undefined when there is none, `{ problem }` when it cannot be read. */
  saved: { record: SuspendRecord } | { problem: string } | undefined;
  /** The identities of the files the record names, as they are now. */
  disks: Record<string, FileIdentity | undefined>;
  /** The size of the state file now (undefined: missing). */
  stateBytes: number | undefined;
  /** cidata.iso exists (an instance made from a booted snapshot has none yet). */
  cidataPresent: boolean;
  /** The guest still has the booted snapshot's identity (hostagent/reidentify.ts identityDue). */
  identityDue: boolean;
}

/** A QEMU whose agent died and that may not be adopted: powered off (its guest writes its disks) before the launch. */
export interface PowerOff {
  pid: number;
  reason: string;
}

/** A cold boot: cidata written, QEMU started with the plan's command line, the boot's readiness steps. */
export interface BootLaunch {
  variant: "boot";
  powerOff?: PowerOff;
  /** The readiness steps, in order (readiness-plan.ts). */
  readiness: ReadinessStep[];
  /** The cidata digest to record once READY (the next boot with the same cidata may be light). */
  readyCidata: string;
  /** Why a saved state is not restored (it is discarded, and this is a warning); absent when there was none. */
  notResumed?: string;
}

/** A resume: QEMU started to take the saved state (`-incoming defer`), then the resume's readiness steps. */
export interface ResumeLaunch {
  variant: "resume";
  powerOff?: PowerOff;
  record: SuspendRecord;
  /** The boot's command line with -incoming defer. */
  argv: string[];
  /** The resumed guest read its cidata when it booted: written only when the instance has none. */
  writeCidata: boolean;
  readiness: ReadinessStep[];
  /** A resumed guest continues the boot that saw the previous cidata: that one is recorded at READY. */
  readyCidata: string | undefined;
  /** The snapshot's host key is pinned for the first connection (an instance made from a booted snapshot). */
  pinSnapshotKey: boolean;
  /** QEMU could not load the state (damaged, foreign): this boot instead, in the same start. */
  fallback: BootLaunch;
}

/**
 * Re-attach: the running QEMU (its agent died) is adopted, its run state recovered over QMP, no
 * cidata written and no daemon started (virtiofsd serves it still); a boot's readiness steps with a
 * resume's clock, remount and sshfs helper (attachSteps).
 */
export interface AttachLaunch {
  variant: "attach";
  pid: number;
  readiness: ReadinessStep[];
  /** The running guest continues the boot that saw the previous cidata: that one is recorded at READY. */
  readyCidata: string | undefined;
  /** Its run state cannot be recovered (QMP): it is powered off and this boot runs, in the same start. */
  fallback: BootLaunch;
}

export type LaunchPlan = BootLaunch | ResumeLaunch | AttachLaunch;

/** What planLaunch takes from the boot plan it completes. */
export interface LaunchInputs {
  argv: string[];
  qemu: Pick<QemuFacts, "binary" | "version">;
  readiness: ReadinessStep[];
  mounts: Parameters<typeof resumeSteps>[0];
  hostname: string;
  /** The NICs of user-v2 networks (their step follows a resume's identity steps). */
  nics?: StepNic[];
  /** The host agent serves the guest's DNS (its step follows a resume's identity steps). */
  hostResolver?: boolean;
  /** The cidata digest of this boot, and the one recorded at the last READY. */
  cidata: string;
  readyCidata: string | undefined;
}

/** The saved record a boot may restore, or why not, or nothing saved. Pure. */
export function resumeDecision(state: SavedState, now: { qemu: Pick<QemuFacts, "binary" | "version">; argv: string[] }, owner: ArgvOwner): { record: SuspendRecord } | { reason: string } | undefined {
  const saved = state.saved;
  if (saved === undefined) return undefined;
  if ("problem" in saved) return { reason: `the suspend record is unusable (${saved.problem})` };
  // the record's argv passes through hardwareArgv again: what it blanks now that an older tslima kept
  // (TCG's cache size) compares equal
  const record = { ...saved.record, argv: hardwareArgv(saved.record.argv, owner) };
  const reason = resumeObstacle(record, {
    qemu: { binary: now.qemu.binary, version: now.qemu.version },
    argv: hardwareArgv(now.argv, owner),
    disks: state.disks,
    stateBytes: state.stateBytes,
  });
  return reason === undefined ? { record: saved.record } : { reason };
}

/** A QEMU found running without its agent, and the ssh port lima.yaml asks for (0: any). */
export interface OrphanFound {
  orphan: Orphan;
  configuredPort: number;
}

/**
 * Attach, boot or resume (pure): see LaunchPlan. `state` undefined: nothing was looked for (a plain
 * boot); `found`: a QEMU of this instance runs without its agent.
 */
export function planLaunch(inputs: LaunchInputs, state: SavedState | undefined, owner: ArgvOwner, found?: OrphanFound): LaunchPlan {
  const reidentify = state?.identityDue ?? false;
  const boot: BootLaunch = { variant: "boot", readiness: reidentify ? withReidentify(inputs.readiness) : inputs.readiness, readyCidata: inputs.cidata };
  if (found === undefined) return bootOrResume(inputs, state, owner, boot, reidentify);
  const { orphan, configuredPort } = found;
  const d =
    orphan.cmdline === undefined
      ? { reason: "its command line cannot be read" }
      : attachDecision({ running: orphan.cmdline, planned: { binary: inputs.qemu.binary, argv: inputs.argv }, owner, configuredPort, identityPending: reidentify });
  if ("reason" in d) return { ...bootOrResume(inputs, state, owner, boot, reidentify), powerOff: { pid: orphan.pid, reason: d.reason } };
  return { variant: "attach", pid: orphan.pid, readiness: attachSteps(inputs.readiness, inputs.mounts, inputs.hostname), readyCidata: inputs.readyCidata, fallback: boot };
}

function bootOrResume(inputs: LaunchInputs, state: SavedState | undefined, owner: ArgvOwner, boot: BootLaunch, reidentify: boolean): BootLaunch | ResumeLaunch {
  const decision = state === undefined ? undefined : resumeDecision(state, inputs, owner);
  if (decision === undefined) return boot;
  if ("reason" in decision) return { ...boot, notResumed: decision.reason };
  return {
    variant: "resume",
    record: decision.record,
    argv: incomingArgv(inputs.argv),
    writeCidata: !(state?.cidataPresent ?? false),
    readiness: resumeSteps(inputs.mounts, inputs.hostname, reidentify, inputs.nics ?? [], inputs.hostResolver ?? false),
    readyCidata: inputs.readyCidata,
    pinSnapshotKey: reidentify,
    fallback: boot,
  };
}
