import type { Config } from "../config/types.js";
import { HOST_IP, PROVISION_LOG, READY_FILE } from "../config/guest.js";
import type { MountPlan } from "../mounts/types.js";
import type { Step } from "../store/events.js";
import type { CloudInitRun } from "../cidata/boot-mode.js";
import { LIGHT_BOOT_UNIT_PATH } from "../cidata/scripts/runner.js";
import { CHECK_REPAIRED } from "../cidata/scripts/check.js";
import { REMOUNT_SCRIPT } from "../mounts/suspend.js";
import { sshfsAllowKey } from "../mounts/sshfs-helper.js";
import { wantsContainerd } from "../config/containerd.js";
import { additionalDisks } from "../disks/plan.js";
import { REIDENTIFY_SCRIPT } from "./reidentify-script.js";
import { HOSTAGENT_HOST_RESOLVER_SH, HOSTAGENT_IDENTITY_SH, HOSTAGENT_LIGHT_READY_SH, HOSTAGENT_NETWORKS_SH } from "../guest/embedded.js";
import { fillPlaceholders } from "../proc/quote.js";
import { yqEdits, type YqEdit } from "./yq-edit.js";

/** What every readiness step has: compare Lima's requirements (pkg/hostagent/requirements.go). */
interface StepBase {
  /** Shown when the step begins (the agent's progress event), when set. */
  announce?: { step: Step; message: string };
  /** One line: what is waited for. */
  description: string;
  /** What to do when it fails. */
  hint: string;
  /** A fatal step fails the start; a non-fatal one becomes a warning and the boot goes on. */
  fatal: boolean;
}

/**
 * One thing that must hold in the guest before the instance is READY, as data: the host agent's
 * executor (hostagent/readiness.ts) runs `script` in the guest (over ssh) and reads its output as the
 * kind says. Steps run in order; each waits until it holds, the start is stopped, or QEMU exits.
 */
export type ReadinessStep =
  /**
   * sshd answers and accepts the user's key (no guest script: a plain login). `denialIsFinal` (a
   * resume: the guest has the keys it was saved with): a refused key fails at once instead of waiting.
   * `timeoutMs` (a resume: its sshd runs already): no answer within it fails (RESUME_FAILED).
   */
  | (StepBase & { kind: "ssh"; denialIsFinal?: boolean; timeoutMs?: number })
  /**
   * `script` prints "ready" once the ready file exists, else "cloud-init-finished" and cloud-init's
   * result.json, else "waiting". Errors in result.json fail at once; a finished cloud-init without
   * the ready file fails after `graceMs`. On a light boot it prints "light-missing", "light-failed"
   * or "light-skipped" when tslima-boot.service will not write the ready file: that fails at once.
   */
  | (StepBase & { kind: "ready-file"; script: string; graceMs: number })
  /** Lima's provision mode "yq": the host edits these guest files (hostagent/yq-apply.ts); failures join the report. */
  | (StepBase & { kind: "yq"; edits: YqEdit[] })
  /** `script` prints the provisioning runner's failure lines (JSON, one per failed step); each is a warning. */
  | (StepBase & { kind: "provision-report"; script: string })
  /** Starts the reverse-sshfs sessions of the mount plan (host sftp-server <-> guest sshfs). */
  | (StepBase & { kind: "reverse-sshfs" })
  /**
   * Resume: the guest's reverse-sshfs helper allows these mounts (`keys`: their allow-list lines),
   * else it is installed with them (as root, sudo -n). A guest booted with the mounts has it; one
   * made from a booted snapshot and given mounts of its own does not.
   */
  | (StepBase & { kind: "sshfs-helper"; keys: string[] })
  /**
   * `script` prints /proc/mounts, "===", /proc/filesystems; every planned mount must show up as
   * planned (retried for `retryMs`, as sshfs mounts take a moment), a missing one is diagnosed.
   */
  | (StepBase & { kind: "mounts"; script: string; retryMs: number })
  /** A user's readiness probe (`probes:`): `script` run by `interpreter` until it exits 0. */
  | (StepBase & { kind: "probe"; script: string; interpreter: string[] })
  /**
   * Resume: `script` (as root; the host's time in seconds and `hostname` as arguments) sets the
   * guest's clock to the host's (it stood still while the state was saved) and its hostname (an
   * instance made from a booted snapshot wakes up with the snapshot source's).
   */
  | (StepBase & { kind: "clock"; script: string; hostname: string })
  /**
   * Resume of an instance made from a booted snapshot, the first: `script` (REIDENTIFY_SCRIPT, as
   * root) gives the guest the instance's own machine-id and ssh host key; then ssh connects again,
   * pinned to the instance's own key (hostagent/reidentify.ts).
   */
  | (StepBase & { kind: "reidentify"; script: string })
  /** Resume: `script` (as root, mount points as arguments) mounts the fstab mounts again. */
  | (StepBase & { kind: "remount"; script: string; mountPoints: string[] })
  /**
   * The last step of a boot: `script` (as the user; sync(2) needs no privilege) writes the guest's
   * file systems to disk, so a crash after READY loses nothing the boot wrote (issue 31); the lines
   * it prints (what tslima-check.service repaired on this boot) are warnings.
   */
  | (StepBase & { kind: "sync"; script: string })
  /**
   * Lima user-v2 networks: `script` (NETWORKS_SCRIPT, as root; interface and MAC pairs as arguments)
   * gives each NIC the instance's MAC (a guest resumed from another instance's booted snapshot has
   * that one's) and waits for its DHCP address; it prints "IF ADDRESS" lines.
   */
  | (StepBase & { kind: "networks"; script: string; nics: StepNic[] })
  /**
   * `hostResolver.enabled`: `script` (HOST_RESOLVER_SCRIPT, as root; the host's address and the
   * host resolver's port, known when the agent runs, as arguments) points the guest's resolver at
   * the host agent's DNS server (hostagent/host-resolver.ts); a no-op when it already is.
   */
  | (StepBase & { kind: "host-resolver"; script: string; hostIp: string });

/** A user-v2 NIC as the networks step sees it. */
export interface StepNic {
  interface: string;
  mac: string;
}

export const NETWORKS_SCRIPT = HOSTAGENT_NETWORKS_SH;

/** Whether the host agent serves the guest's DNS (Lima: hostResolver.enabled, unless `dns:` names servers). Pure. */
export function hostResolverActive(config: Pick<Config, "hostResolver">): boolean {
  return config.hostResolver.enabled;
}

function hostResolverStep(on: boolean): ReadinessStep[] {
  if (!on) return [];
  return [{
    kind: "host-resolver",
    description: "the guest's systemd-resolved asks the host agent's DNS server (hostResolver)",
    hint: "see `resolvectl status` in the guest; set hostResolver.enabled: false in lima.yaml to keep QEMU's DNS",
    fatal: false,
    script: HOSTAGENT_HOST_RESOLVER_SH,
    hostIp: HOST_IP,
  }];
}

function networksStep(nics: readonly StepNic[]): ReadinessStep[] {
  if (nics.length === 0) return [];
  return [{
    kind: "networks",
    announce: { step: "networks", message: `Joining ${nics.length} user-v2 network(s)` },
    description: `the guest's ${nics.map((n) => n.interface).join(", ")} has the instance's MAC and a DHCP address from the network's switch`,
    hint: "see ha.stderr.log and the switch's log (TSLIMA_HOME/_networks/NAME/switch.log); `networkctl status` in the guest",
    fatal: false,
    script: NETWORKS_SCRIPT,
    nics: nics.map((n) => ({ interface: n.interface, mac: n.mac })),
  }];
}

const READY_CHECK = [
  `if [ -e ${READY_FILE} ]; then echo ready; exit 0; fi`,
  "if [ -e /run/cloud-init/result.json ]; then echo cloud-init-finished; cat /run/cloud-init/result.json; else echo waiting; fi",
].join("\n");

/**
 * On a light boot (cloud-init switched off) tslima-boot.service makes the ready file; a unit that is
 * missing, failed, or did not run by the end of the boot never will ("light-missing", "light-failed",
 * "light-skipped").
 */
const LIGHT_READY_CHECK = fillPlaceholders(HOSTAGENT_LIGHT_READY_SH, { READY_FILE, UNIT: LIGHT_BOOT_UNIT_PATH });

/**
 * The resumed guest's clock and name, as root: `$1` the host's time (seconds since the epoch),
 * `$2` the hostname it must have. A new name goes to the kernel, /etc/hostname and /etc/hosts.
 */
export const IDENTITY_SCRIPT = HOSTAGENT_IDENTITY_SH;

/** The guest's mount table and known file systems, for the mounts step. */
export const MOUNT_TABLE_SCRIPT = "cat /proc/mounts; echo ===; cat /proc/filesystems";

/** The interpreter of a script from its #! line, default /bin/sh. Pure. */
export function interpreterOf(script: string): string[] {
  const first = script.split("\n", 1)[0] ?? "";
  if (!first.startsWith("#!")) return ["/bin/sh"];
  const parts = first.slice(2).trim().split(/\s+/).filter((s) => s !== "");
  return parts.length > 0 ? parts : ["/bin/sh"];
}

const SSH_STEP: Extract<ReadinessStep, { kind: "ssh" }> = {
  kind: "ssh",
  announce: { step: "wait-ssh", message: "Waiting for SSH" },
  description: "sshd in the guest accepts the user's key",
  hint: "see serial.log: the guest may not have booted, or cloud-init did not install the key",
  fatal: true,
};

function sshfsStep(): ReadinessStep {
  return {
    kind: "reverse-sshfs",
    description: "the reverse-sshfs sessions are connected",
    hint: "check that sshfs is installed in the guest and sftp-server on the host, or choose another mountType",
    fatal: true,
  };
}

function mountsStep(mounts: MountPlan, sshfs: boolean): ReadinessStep {
  return {
    kind: "mounts",
    announce: { step: "verify-mounts", message: `Checking ${mounts.mounts.length} mount(s)` },
    description: "every mount is mounted in the guest with its planned type and options",
    hint: "fix or remove the mount in lima.yaml (mounts:), or choose another mountType",
    fatal: true,
    script: MOUNT_TABLE_SCRIPT,
    retryMs: sshfs ? 30_000 : 0,
  };
}

/**
 * Gives the guest of an instance made from a booted snapshot its own machine-id and ssh host key:
 * the first resume's step, or the last of a cold boot when that resume never completed.
 */
export function reidentifyStep(): ReadinessStep {
  return {
    kind: "reidentify",
    announce: { step: "reidentify", message: "Giving the guest its own machine-id and ssh host key" },
    description: "the guest has the instance's own machine-id and ssh host key, not the snapshot's",
    hint: "it is done with sudo -n (user.passwordlessSudo, the default); start the instance again to retry",
    fatal: true,
    script: REIDENTIFY_SCRIPT,
  };
}

/**
 * A cold boot's steps with the identity step of an unfinished first resume (pure): before the
 * closing sync, so the new machine-id and host key are on disk when READY is reported.
 */
export function withReidentify(steps: readonly ReadinessStep[]): ReadinessStep[] {
  const last = steps.at(-1);
  return last?.kind === "sync" ? [...steps.slice(0, -1), reidentifyStep(), last] : [...steps, reidentifyStep()];
}

/**
 * The readiness steps of a resume (a restored state; pure): ssh, the guest clock, its own identity
 * (`reidentify`, when the state is a booted snapshot's the guest has not made its own yet), the mounts
 * the suspend unmounted (fstab ones with REMOUNT_SCRIPT, reverse-sshfs reconnected), then the same
 * check of every mount as a boot's. cloud-init, provisioning and probes ran before the suspend.
 */
export function resumeSteps(mounts: MountPlan, hostname: string, reidentify = false, nics: readonly StepNic[] = [], hostResolver = false): ReadinessStep[] {
  const fstab = mounts.mounts.filter((m) => m.fstab !== undefined).map((m) => m.expect.mountPoint);
  const sshfs = mounts.mounts.some((m) => m.sshfs !== undefined);
  const steps: ReadinessStep[] = [
    // the guest's sshd runs with the keys it had when the state was saved: a refused key stays refused
    { ...SSH_STEP, denialIsFinal: true, timeoutMs: RESUME_SSH_TIMEOUT_MS },
    {
      kind: "clock",
      announce: { step: "sync-clock", message: "Setting the guest's clock and hostname" },
      description: `the guest's clock is the host's and its hostname ${hostname}`,
      hint: "resume sets them with sudo -n: it needs user.passwordlessSudo (the default)",
      fatal: false,
      script: IDENTITY_SCRIPT,
      hostname,
    },
  ];
  if (reidentify) steps.push(reidentifyStep());
  steps.push(...networksStep(nics), ...hostResolverStep(hostResolver));
  if (fstab.length > 0) {
    steps.push({
      kind: "remount",
      announce: { step: "remount", message: `Mounting ${fstab.length} mount(s) again` },
      description: "the mounts the suspend unmounted are mounted again",
      hint: "see `journalctl -b` in the guest; stop and start the instance to boot it afresh",
      fatal: true,
      script: REMOUNT_SCRIPT,
      mountPoints: fstab,
    });
  }
  if (sshfs) {
    steps.push({
      kind: "sshfs-helper",
      description: "the guest's reverse-sshfs helper allows this instance's mounts",
      hint: "installing it needs passwordless sudo in the guest (user.passwordlessSudo); or stop and start the instance to boot it with its mounts",
      fatal: true,
      keys: mounts.mounts.flatMap((m) => (m.sshfs ? [sshfsAllowKey(m.sshfs.target)] : [])),
    });
    steps.push(sshfsStep());
  }
  if (mounts.mounts.length > 0) steps.push(mountsStep(mounts, sshfs));
  return steps;
}

/** A restored guest's sshd runs already: one that does not answer within this is not coming back. */
export const RESUME_SSH_TIMEOUT_MS = 120_000;

/** Reports the boot check's repairs (CHECK_REPAIRED, as the user), then syncs every file system. */
const SYNC_SCRIPT = `cat ${CHECK_REPAIRED} 2>/dev/null; sync`;

/** The readiness steps of a boot, in order (pure). */
export function readinessSteps(config: Config, mounts: MountPlan, cloudInit: CloudInitRun = "full", nics: readonly StepNic[] = []): ReadinessStep[] {
  const light = cloudInit === "light";
  const steps: ReadinessStep[] = [
    SSH_STEP,
    light
      ? {
          kind: "ready-file",
          announce: { step: "wait-cloud-init", message: `Waiting for the guest's boot setup (tslima-boot.service, ${READY_FILE})` },
          description: `cloud-init switched off (cidata unchanged): tslima-boot.service wrote ${READY_FILE}`,
          hint: "start the instance again, the next start runs cloud-init in full; see /var/log/cloud-init-output.log in the guest",
          fatal: true,
          script: LIGHT_READY_CHECK,
          graceMs: 180_000,
        }
      : {
          kind: "ready-file",
          announce: { step: "wait-cloud-init", message: `Waiting for cloud-init to finish (${READY_FILE})` },
          description: `cloud-init finished and the boot script wrote ${READY_FILE}`,
          hint: "a provision script or mount may hang; see /var/log/cloud-init-output.log in the guest",
          fatal: true,
          script: READY_CHECK,
          graceMs: 180_000,
        },
    ...networksStep(nics),
    ...hostResolverStep(hostResolverActive(config)),
  ];
  const edits = yqEdits(config);
  if (edits.length > 0) {
    steps.push({
      kind: "yq",
      description: "the provision mode yq edits were applied",
      hint: "the edits run as root over sudo -n (user.passwordlessSudo); see ha.stderr.log",
      fatal: false,
      edits,
    });
  }
  if (config.provision.length > 0 || additionalDisks(config).length > 0 || wantsContainerd(config)) {
    steps.push({
      kind: "provision-report",
      description: "the provisioning scripts succeeded",
      hint: `see ${PROVISION_LOG} and /var/log/cloud-init-output.log in the guest`,
      fatal: false,
      script: `if [ -s ${PROVISION_LOG} ]; then cat ${PROVISION_LOG}; fi`,
    });
  }
  const sshfs = mounts.mounts.some((m) => m.sshfs !== undefined);
  if (sshfs) steps.push(sshfsStep());
  if (mounts.mounts.length > 0) steps.push(mountsStep(mounts, sshfs));
  config.probes.forEach((p, i) => {
    steps.push({
      kind: "probe",
      ...(i === 0 ? { announce: { step: "probes" as const, message: `Running ${config.probes.length} readiness probe(s)` } } : {}),
      description: p.description,
      hint: p.hint || "see /var/log/cloud-init-output.log in the guest (shown below)",
      fatal: true,
      script: p.script,
      interpreter: interpreterOf(p.script),
    });
  });
  steps.push({
    kind: "sync",
    announce: { step: "sync-disks", message: "Writing the guest's file systems to disk (sync)" },
    description: "the guest's file systems are written to disk",
    hint: "a crash of the VM soon after this boot may lose files the boot wrote; see ha.stderr.log",
    fatal: false,
    script: SYNC_SCRIPT,
  });
  return steps;
}
