import { TslimaError } from "../errors.js";
import { mountMatches } from "../mounts/index.js";
import type { MountPlan, PlannedMount } from "../mounts/types.js";
import type { InstancePaths } from "../store/paths.js";
import { guestExec, shScript } from "../ssh/exec.js";
import { MOUNTS_MOUNT_DIAGNOSE_SH } from "../guest/embedded.js";

/** Filesystem types the guest kernel knows (/proc/filesystems). Pure. */
export function parseProcFilesystems(text: string): Set<string> {
  const s = new Set<string>();
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    const name = f[f.length - 1];
    if (name) s.add(name);
  }
  return s;
}

/** What the guest said when asked again about a missing mount (see diagnoseScript). */
export interface MountDiagnosis {
  /** The guest kernel cannot load the filesystem (modprobe failed and it is not in /proc/filesystems). */
  noKernelSupport?: boolean;
  /** What `mount MOUNTPOINT` printed when retried, trimmed; "" when it printed nothing. */
  mountError?: string;
}

const kernelFsOf = (fstype: string): string => (fstype.startsWith("fuse.") ? "fuse" : fstype);

/**
 * Checks every planned mount against the guest's /proc/mounts; returns one message per mount that
 * is missing or wrong, naming the mount and the likely cause. `diagnoses` (by mount point) add what
 * the guest said on a retry. Pure.
 */
export function mountProblems(
  planned: PlannedMount[],
  procMounts: string,
  procFilesystems: string,
  diagnoses: Record<string, MountDiagnosis> = {},
): string[] {
  const fs = parseProcFilesystems(procFilesystems);
  const problems: string[] = [];
  for (const p of planned) {
    const want = p.expect;
    const check = mountMatches(want, procMounts);
    if (check.ok) continue;
    const what = `mount ${p.mount.location} -> ${want.mountPoint} (${want.fstype})`;
    if (check.entry === undefined) {
      const kernelFs = kernelFsOf(want.fstype);
      const d = diagnoses[want.mountPoint];
      let cause: string;
      if (d?.noKernelSupport || (d === undefined && !fs.has(kernelFs))) {
        cause = `the guest kernel has no ${kernelFs} support (${kernelFs} is not in /proc/filesystems and cannot be loaded)`;
      } else if (d?.mountError) {
        cause = `the guest's mount failed: ${d.mountError}`;
      } else {
        cause = "nothing is mounted there (see /var/log/cloud-init-output.log and `journalctl -b` in the guest)";
      }
      problems.push(`${what} is not mounted: ${cause}`);
    } else {
      problems.push(`${what}: ${check.reason}`);
    }
  }
  return problems;
}

/**
 * Guest script (run as root) for a missing fstab mount: $1 = kernel filesystem, $2 = mount point.
 * Prints "nokernel" when the kernel cannot have the filesystem, else retries the mount and prints
 * what mount(8) said (plus the kernel's last related lines).
 */
export const DIAGNOSE_SCRIPT = MOUNTS_MOUNT_DIAGNOSE_SH;

/** Reads "nokernel" or the mount output of DIAGNOSE_SCRIPT. Pure. */
export function parseDiagnosis(stdout: string): MountDiagnosis {
  const t = stdout.trim().replace(/\s+/g, " ");
  if (t === "nokernel") return { noKernelSupport: true };
  return { mountError: t.replace(/^mount: /, "") };
}

async function readGuest(paths: InstancePaths, script: string): Promise<{ mounts: string; filesystems: string }> {
  const r = await guestExec(paths, shScript(script), { timeoutMs: 60_000 });
  if (r.code !== 0) throw new TslimaError("MOUNTS", `could not read /proc/mounts in the guest: ${r.stderr.trim()}`);
  const [mounts = "", filesystems = ""] = r.stdout.split("===\n");
  return { mounts, filesystems };
}

/**
 * After boot: every planned mount must be mounted in the guest with the intended type and options
 * (`nofail` would hide a failure). A missing fstab mount is retried once to learn why; a mount still
 * missing or wrong fails with an error naming it and the cause. `tableScript` prints /proc/mounts,
 * a line "===", then /proc/filesystems (the readiness step's script).
 */
export async function verifyGuestMounts(paths: InstancePaths, plan: MountPlan, tableScript: string): Promise<void> {
  if (plan.mounts.length === 0) return;
  let seen = await readGuest(paths, tableScript);
  const missing = plan.mounts.filter((p) => p.fstab !== undefined && !mountMatches(p.expect, seen.mounts).ok && mountMatches(p.expect, seen.mounts).entry === undefined);
  const diagnoses: Record<string, MountDiagnosis> = {};
  for (const p of missing) {
    const r = await guestExec(paths, ["sudo", "-n", "sh", "-c", DIAGNOSE_SCRIPT, "tslima-diagnose", kernelFsOf(p.expect.fstype), p.expect.mountPoint], { timeoutMs: 60_000 });
    diagnoses[p.expect.mountPoint] = r.code === 0 ? parseDiagnosis(r.stdout) : { mountError: r.stderr.trim() };
  }
  if (missing.length > 0) seen = await readGuest(paths, tableScript);
  const problems = mountProblems(plan.mounts, seen.mounts, seen.filesystems, diagnoses);
  if (problems.length > 0) {
    throw new TslimaError("MOUNTS", problems.join("; "), {
      hint: "fix or remove the mount in lima.yaml (mounts:), or choose another mountType",
    });
  }
}
