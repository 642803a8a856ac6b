import type { Config, HostFacts } from "../config/types.js";
import { parseSize } from "../config/sizes.js";
import type { ResolvedImage } from "../images/types.js";
import { mountPlan } from "../mounts/plan.js";
import type { MountPlan } from "../mounts/types.js";
import type { WatchedMount } from "../mounts/inotify.js";
import type { VirtiofsdInfo } from "../mounts/virtiofsd.js";
import { macAddress } from "../qemu/options.js";
import { qemuArgv } from "../qemu/argv.js";
import type { Firmware, QemuFacts } from "../qemu/types.js";
import type { AttachedDisk } from "../disks/plan.js";
import { cidataFiles } from "../cidata/files.js";
import { isoImage } from "../cidata/iso.js";
import { containerdPlan, type ContainerdArchiveFile } from "../cidata/containerd.js";
import { bootMode, cidataDigest, kernelCmdline, type BootMode } from "../cidata/boot-mode.js";
import { sshConfigText } from "../ssh/config.js";
import type { InstancePaths } from "../store/paths.js";
import { hostResolverActive, readinessSteps } from "./readiness-plan.js";
import { planLaunch, type LaunchPlan, type SavedState } from "./launch-plan.js";
import type { Orphan } from "./attach-plan.js";
import { guestHostname } from "../config/guest.js";
import { dockerHostSocket } from "../portfwd/rules.js";
import { watchedMounts } from "../mounts/inotify.js";
import { planNics, type PlannedNic, type UserNetwork } from "./networks-plan.js";
import { deviceFiles, displayPlan, swtpmArgs } from "../qemu/devices.js";
import { wantsTpm, type VncServer } from "../config/video.js";
import { copyToHostRules, type CopyToHostRule } from "../config/copy-to-host.js";

/**
 * What the host found or prepared before planning a boot (all I/O happens before planBoot): the
 * host's facts, the QEMU binary and firmware, the disk image as booted, the ssh port and keys.
 */
export interface BootHost {
  facts: HostFacts;
  qemu: QemuFacts;
  /** The image as booted (its files inside the instance directory after the first start). */
  image: ResolvedImage;
  sshPort: number;
  /** The user's private key file, for ssh.config. */
  sshIdentityFile: string;
  /** Public keys allowed to log in (the user key, plus ~/.ssh/*.pub when ssh.loadDotSSHPubKeys). */
  sshPublicKeys: string[];
  /** The guest's pinned ssh host key (ssh/hostkey.ts). */
  hostKey: { privateKey: string; publicKey: string };
  /** The instance's VM generation id (hostagent/reidentify.ts). */
  vmgenid: string;
  /** Lima's additional disks, locked for this instance and probed (hostagent/disks.ts). */
  disks?: AttachedDisk[];
  /** The agent's proxy variables (cidata/proxy-env.ts), which `propagateProxyEnv` passes to the guest. */
  proxyEnv?: Record<string, string>;
  /** The texts of caCerts.files, read on the host (hostagent/ca-files.ts). */
  caCertFiles?: string[];
  /** The host's virtiofsd, when one was found. */
  virtiofsd?: VirtiofsdInfo;
  /** TSLIMA_SSHFS_UNCONFINED=1: reverse-sshfs serves its mounts without confinement (mounts/sftp-confine.ts). */
  sftpUnconfined?: boolean;
  /** The disk was made for this boot (its guest has never run cloud-init). */
  freshDisk: boolean;
  /** The cidata digest recorded by the last boot that reached READY, if any (see cidata/boot-mode.ts). */
  readyCidata: string | undefined;
  /** A saved state found (hostagent/resume.ts): the plan decides whether this start resumes it. */
  savedState?: SavedState;
  /** This instance's QEMU, running without its agent (hostagent/attach.ts): the plan decides whether to re-attach. */
  orphan?: Orphan;
  /** hostResolver: the port of the agent's DNS server (the guest's resolver is pointed at it). */
  hostResolverPort?: number;
  /** containerd.system/user: the nerdctl-full archive fetched (hostagent/containerd.ts), when one could be had. */
  containerdArchive?: ContainerdArchiveFile;
  /** The user-v2 networks lima.yaml's `networks[].lima` names, by name, from networks.yaml. */
  networks?: Record<string, UserNetwork>;
}

/** Whether a boot of `config` needs the host's virtiofsd (the agent looks for one only then). Pure. */
export function needsVirtiofsd(config: Config): boolean {
  return config.mountType === "virtiofs" && config.mounts.length > 0;
}

/** A host daemon to start (and wait for) before QEMU, on behalf of one mount (or the TPM: `what`, `hint`). */
export interface PlannedDaemon {
  /** What the daemon serves, for messages: the mount's host location. */
  location: string;
  /** For messages when it is not a mount's daemon, e.g. "the TPM (tpm: true)". */
  what?: string;
  /** What fixes a daemon that does not start, when it is not a mount's. */
  hint?: string;
  command: string;
  args: string[];
  /** Unix socket the daemon creates; the agent waits for it before QEMU starts. */
  socket?: string;
}

/** Everything one boot needs, as data. The host agent only carries it out (hostagent/agent.ts). */
export interface BootPlan {
  mounts: MountPlan;
  /** Daemons started in this order before QEMU: swtpm (tpm: true), then the mounts' (virtiofsd). */
  daemons: PlannedDaemon[];
  /** video.display: vnc: the VNC server whose password and files are set once QEMU runs (hostagent/devices.ts). */
  vnc?: VncServer;
  /** tpm: true: swtpm's state directory is prepared before it starts. */
  tpm?: true;
  /** The cloud-init NoCloud files, by name, for cidata.iso. */
  cidata: Record<string, string>;
  /** Host files copied into cidata.iso besides, by name (containerd's nerdctl-full.tgz); their digests are in `cidata`. */
  cidataHostFiles?: Record<string, string>;
  /** The text of the instance's ssh.config. */
  sshConfig: string;
  /** A firmware boot: the firmware whose UEFI variable store template the instance gets a copy of. */
  efiVars?: Firmware;
  /** The boot's command line (a resume adds -incoming defer: `launch`). */
  qemu: { binary: string; argv: string[] };
  /** Boot, resume or re-attach, with what must hold in the guest before the instance counts as READY. */
  launch: LaunchPlan;
  /** Whether cloud-init runs in full or is switched off on this boot, why, and the cidata's digest (recorded on READY). */
  cloudInit: BootMode & { cidata: string };
  /** The host socket the guest's docker.sock is forwarded to (a docker instance), for the READY event. */
  dockerSocket?: string;
  /** The config's `message`, for the READY event, when there is one. */
  instanceMessage?: string;
  /** `mountInotify: true`: the mounts whose host changes are forwarded as inotify events. */
  inotify?: WatchedMount[];
  /** NICs on Lima user-v2 networks: the agent attaches each to its network's switch once QEMU runs. */
  nics: PlannedNic[];
  /** Lima's `copyToHost`: guest files copied to the host after the readiness steps, before READY. */
  copyToHost?: CopyToHostRule[];
}

/**
 * Plans a boot of a filled, validated config on a probed host (pure): QEMU's command line, the cidata
 * files, ssh.config, the mount daemons and the readiness steps. Throws a TslimaError when a mount
 * cannot be served on this host (e.g. virtiofs without a usable virtiofsd).
 */
export function planBoot(config: Config, host: BootHost, paths: InstancePaths): BootPlan {
  const mounts = mountPlan(config, paths, {
    memoryBytes: parseSize(config.memory),
    host: host.facts,
    ...(host.virtiofsd ? { virtiofsd: host.virtiofsd } : {}),
    ...(host.sftpUnconfined ? { sftpUnconfined: true } : {}),
  });
  const tpm = wantsTpm(config);
  const swtpm: PlannedDaemon = {
    location: deviceFiles(paths).swtpmState,
    what: "the TPM (tpm: true)",
    hint: "install swtpm (Debian: apt-get install swtpm swtpm-tools), or remove tpm: true from lima.yaml",
    command: "swtpm",
    args: swtpmArgs(paths),
    socket: deviceFiles(paths).swtpmSock,
  };
  const daemons = [
    ...(tpm ? [swtpm] : []),
    ...mounts.mounts.flatMap((m) =>
      m.daemons.map((d): PlannedDaemon => ({ location: m.mount.location, command: d.command, args: d.args, ...(d.socket ? { socket: d.socket } : {}) })),
    ),
  ];
  const mac = macAddress(paths.name);
  const nics = planNics(config, paths, host.networks ?? {});
  const cidata = cidataFiles(config, {
    instanceName: paths.name,
    sshPublicKeys: host.sshPublicKeys,
    mounts,
    sshPort: host.sshPort,
    hostFacts: host.facts,
    macAddress: mac,
    hostKey: host.hostKey,
    networks: nics.map((n) => ({ interface: n.interface, mac: n.mac, slot: n.slot, metric: n.metric })),
    ...(hostResolverActive(config) && host.hostResolverPort !== undefined ? { hostResolverPort: host.hostResolverPort } : {}),
    ...(host.proxyEnv ? { hostProxyEnv: host.proxyEnv } : {}),
    ...(host.caCertFiles && host.caCertFiles.length > 0 ? { caCertFiles: host.caCertFiles } : {}),
    ...(host.containerdArchive ? { containerdArchive: host.containerdArchive } : {}),
  });
  const cidataHostFiles = containerdPlan(config, host.containerdArchive).cidata;
  const sshConfig = sshConfigText(paths, {
    user: config.user.name,
    port: host.sshPort,
    identityFile: host.sshIdentityFile,
    instanceName: paths.name,
    forwardAgent: config.ssh.forwardAgent,
    forwardX11: config.ssh.forwardX11,
    forwardX11Trusted: config.ssh.forwardX11Trusted,
  });
  // issue 11: an unchanged cidata boots with cloud-init switched off (cidata/boot-mode.ts)
  const digest = cidataDigest(isoImage("cidata", cidata));
  const mode = bootMode({ cidata: digest, lastReady: host.readyCidata, freshDisk: host.freshDisk, directKernelBoot: host.image.kernel !== undefined });
  const image = { ...host.image, cmdline: kernelCmdline(host.image.cmdline, mode.cloudInit) };
  const argv = qemuArgv(config, paths, { host: host.facts, qemu: host.qemu, sshPort: host.sshPort, image, mounts, disks: host.disks ?? [], vmgenid: host.vmgenid, networks: nics });
  const firmware = host.image.kernel === undefined && !config.firmware.legacyBIOS && host.qemu.firmware?.codeOnly !== true ? host.qemu.firmware : undefined;
  const launch = planLaunch(
    {
      argv,
      qemu: host.qemu,
      readiness: readinessSteps(config, mounts, mode.cloudInit, nics),
      mounts,
      hostname: guestHostname(paths.name),
      nics,
      hostResolver: hostResolverActive(config),
      cidata: digest,
      readyCidata: host.readyCidata,
    },
    host.savedState,
    paths,
    host.orphan ? { orphan: host.orphan, configuredPort: config.ssh.localPort } : undefined,
  );
  const dockerSocket = dockerHostSocket(config.portForwards);
  const display = displayPlan(config);
  const copies = copyToHostRules(config.extra, paths.dir);
  return {
    mounts,
    daemons,
    ...(display.kind === "vnc" ? { vnc: display.vnc } : {}),
    ...(tpm ? { tpm: true as const } : {}),
    cidata,
    ...(Object.keys(cidataHostFiles).length > 0 ? { cidataHostFiles } : {}),
    sshConfig,
    ...(firmware !== undefined ? { efiVars: firmware } : {}),
    qemu: { binary: host.qemu.binary, argv },
    launch,
    cloudInit: { ...mode, cidata: digest },
    ...(dockerSocket !== undefined ? { dockerSocket } : {}),
    ...(config.message.trim() !== "" ? { instanceMessage: config.message } : {}),
    ...(config.mountInotify ? { inotify: watchedMounts(mounts.mounts) } : {}),
    nics,
    ...(copies.length > 0 ? { copyToHost: copies } : {}),
  };
}
