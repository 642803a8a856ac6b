import { TslimaError } from "../errors.js";
import type { HostFacts } from "../config/types.js";
import type { MountPlan } from "../mounts/types.js";
import type { InstancePaths } from "../store/paths.js";
import { writeFileAtomic } from "../store/atomic.js";
import { SFTP_UNCONFINED_ENV, sftpPasswdFile, sftpPasswdText } from "../mounts/sftp-confine.js";
import { describeEnd, lastLines, runProgramSync } from "../proc/run.js";

/**
 * Before QEMU starts: writes the passwd file the confined sftp-servers see, then runs each
 * reverse-sshfs mount's host command once with an empty stdin (sftp-server exits 0 at end of input)
 * so that a host where bubblewrap is missing or may not make namespaces fails now, naming the mount,
 * instead of serving the mount unconfined or failing after the boot. Returns a warning when the
 * mounts are served unconfined on purpose.
 */
export function checkSftpServers(plan: MountPlan, paths: InstancePaths, host: Pick<HostFacts, "user" | "uid" | "gid">, unconfined: boolean): string | undefined {
  const sshfs = plan.mounts.filter((m) => m.sshfs !== undefined);
  if (sshfs.length === 0) return undefined;
  if (unconfined) {
    return `${SFTP_UNCONFINED_ENV}=1: the reverse-sshfs mounts are served by an unconfined sftp-server; root in the guest can read and write every file ${host.user} can on this host`;
  }
  writeFileAtomic(sftpPasswdFile(paths), sftpPasswdText({ name: host.user, uid: host.uid, gid: host.gid }));
  for (const m of sshfs) {
    const [cmd = "", ...args] = m.sshfs?.hostCommand ?? [];
    const r = runProgramSync(cmd, args, { timeoutMs: 20_000 });
    if (r.spawnError === undefined && r.code === 0) continue;
    const why = [`${cmd} ${describeEnd(r)}`, ...lastLines(r.stderr, 2)].join(": ");
    const i = plan.mounts.indexOf(m);
    throw new TslimaError("SSHFS_CONFINE", `mounts[${i}] (${m.mount.location} -> ${m.mount.mountPoint}): the host's sftp-server cannot be confined to the location with bubblewrap: ${why}`, {
      hint:
        "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and let users make namespaces " +
        "(sysctl kernel.unprivileged_userns_clone=1; on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), " +
        `or choose another mountType in lima.yaml; ${SFTP_UNCONFINED_ENV}=1 serves the mount unconfined (root in the guest can then read and write all your files)`,
    });
  }
  return undefined;
}
