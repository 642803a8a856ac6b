/**
 * Re-attaching a host agent to a QEMU whose agent died (killed, crashed): the pure decisions.
 * hostagent/attach.ts carries them out.
 *
 * A QEMU left running is adopted when it runs the virtual machine a boot would run now (its
 * command line's hardwareArgv() equals the plan's, its ssh port is the one lima.yaml asks for) and
 * its run state can be recovered: a suspend the dead agent left half done is undone (the migration
 * cancelled, the paused VM continued). Anything else is powered off and booted, as before.
 */
import { hardwareArgv } from "../qemu/argv.js";
import type { InstancePaths } from "../store/paths.js";
import type { MountPlan } from "../mounts/types.js";
import type { ReadinessStep } from "./readiness-plan.js";
import { resumeSteps } from "./readiness-plan.js";

/** This instance's QEMU, alive without its agent (hostagent/attach.ts findOrphanQemu): its pid and
 * command line (/proc/PID/cmdline, the binary first; undefined where it cannot be read). */
export interface Orphan {
  pid: number;
  cmdline: string[] | undefined;
}

/** The forwarded ssh port in a QEMU command line (`hostfwd=tcp:127.0.0.1:PORT-:22`). Pure. */
export function sshPortOf(argv: readonly string[]): number | undefined {
  for (const a of argv) {
    const m = /hostfwd=tcp:127\.0\.0\.1:(\d+)-:22(?:,|$)/.exec(a);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * The ssh port a start that may re-attach plans with: the running QEMU's, unless lima.yaml fixes
 * another (`ssh.localPort`); undefined: choose as a boot does. Pure.
 */
export function attachSshPort(orphanArgv: readonly string[] | undefined, configuredPort: number): number | undefined {
  if (orphanArgv === undefined) return undefined;
  const port = sshPortOf(orphanArgv);
  return port !== undefined && (configuredPort === 0 || configuredPort === port) ? port : undefined;
}

export interface AttachFacts {
  /** The running QEMU's command line, /proc/PID/cmdline: the binary first. */
  running: readonly string[];
  /** What a boot would run now. */
  planned: { binary: string; argv: readonly string[] };
  owner: Pick<InstancePaths, "name" | "dir">;
  /** lima.yaml's ssh.localPort (0: any). */
  configuredPort: number;
  /** The first resume of an instance made from a booted snapshot has not given the guest its own identity. */
  identityPending: boolean;
}

/** Adopt the running QEMU (its ssh port), or why not (then it is powered off and the instance booted). */
export type AttachDecision = { attach: { sshPort: number } } | { reason: string };

/** Whether the agent re-attaches to the QEMU a dead agent left running. Pure. */
export function attachDecision(f: AttachFacts): AttachDecision {
  const [binary, ...argv] = f.running;
  if (binary !== f.planned.binary) return { reason: `it runs ${binary ?? "an unknown binary"}, a boot would run ${f.planned.binary}` };
  const sshPort = sshPortOf(argv);
  if (sshPort === undefined) return { reason: "its command line forwards no ssh port" };
  if (f.configuredPort !== 0 && f.configuredPort !== sshPort) return { reason: `it forwards ssh on port ${sshPort}, lima.yaml asks for ssh.localPort ${f.configuredPort}` };
  if (f.identityPending) return { reason: "its guest, resumed from a booted snapshot, did not get the instance's own identity yet" };
  const was = hardwareArgv([...argv], f.owner);
  const now = hardwareArgv([...f.planned.argv], f.owner);
  const i = was.findIndex((a, k) => a !== now[k]);
  if (i >= 0 || was.length !== now.length) {
    const at = i >= 0 ? i : Math.min(was.length, now.length);
    return { reason: `its command line differs from the one lima.yaml gives now (running "${was[at] ?? "(end)"}", now "${now[at] ?? "(end)"}")` };
  }
  return { attach: { sshPort } };
}

/** QMP's view of the adopted VM: query-status's status and query-migrate's (absent: no migration). */
export interface RunState {
  status: string;
  migration?: string;
}

/** What brings the adopted VM back to running, or why it cannot be (then it is not adopted). */
export type Recovery = { actions: Array<"cancel-migration" | "cont"> } | { reason: string };

/** Migration states in which the dead agent's save still runs. */
const MIGRATING = new Set(["setup", "active", "pre-switchover", "device", "wait-unplug", "postcopy-active"]);
/** VM states a suspend or snapshot leaves behind: paused, or paused with its state written. */
const PAUSED = new Set(["paused", "postmigrate", "finish-migrate", "save-vm"]);

/**
 * How to recover the run state a dead agent left (pure): a save in progress is cancelled, a VM a
 * save paused is continued. A VM still loading a saved state, or one that has shut down or failed,
 * is not adopted.
 */
export function recovery(s: RunState): Recovery {
  const actions: Array<"cancel-migration" | "cont"> = [];
  if (s.migration !== undefined && MIGRATING.has(s.migration)) actions.push("cancel-migration");
  if (s.status === "running") return { actions };
  if (PAUSED.has(s.status)) return { actions: [...actions, "cont"] };
  if (s.status === "inmigrate" || s.status === "prelaunch") return { reason: "it was still loading a saved state" };
  return { reason: `its VM is in state "${s.status}"` };
}

/**
 * The readiness steps of a re-attach (pure): a boot's (its guest may have been booting; the steps
 * that passed pass again at once), with what a resume adds before the mounts are checked: the
 * clock (the guest may have stood paused), fstab mounts mounted again (a suspend may have unmounted
 * them; not fatal: it needs sudo -n, and the mounts are checked next) and the reverse-sshfs helper
 * (its sessions died with the agent and are connected again).
 */
export function attachSteps(boot: readonly ReadinessStep[], mounts: MountPlan, hostname: string): ReadinessStep[] {
  // the remount is needed only after an interrupted suspend, and needs sudo -n: a warning when it
  // fails, as the mounts step after it checks every mount anyway
  const extra = resumeSteps(mounts, hostname).flatMap((s): ReadinessStep[] =>
    s.kind === "remount" ? [{ ...s, fatal: false }] : s.kind === "clock" || s.kind === "sshfs-helper" ? [s] : [],
  );
  const early = new Set(["ssh", "ready-file", "networks", "host-resolver", "yq", "provision-report"]);
  const at = boot.findIndex((s) => !early.has(s.kind));
  const cut = at < 0 ? boot.length : at;
  return [...boot.slice(0, cut), ...extra, ...boot.slice(cut)];
}
