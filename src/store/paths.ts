import { join } from "node:path";
import { homedir } from "node:os";

/**
 * The home of every instance: TSLIMA_HOME when set and not empty, else LIMA_HOME (what Lima's own
 * tests, IDE plugins and CI scripts set) when set and not empty, else ~/.tslima. bin/tslima's shell
 * fast path applies the same rule.
 */
export function tslimaHome(env: NodeJS.ProcessEnv = process.env): string {
  for (const v of [env.TSLIMA_HOME, env.LIMA_HOME]) if (v !== undefined && v !== "") return v;
  return join(homedir(), ".tslima");
}

/** Cache for locally built guest images: $XDG_CACHE_HOME/tslima, default ~/.cache/tslima. */
export function buildCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(xdg, "tslima");
}

/** Every file of one instance, by Lima's names (see DESIGN.md). Pure: computes paths only. */
export interface InstancePaths {
  name: string;
  dir: string;
  limaYaml: string;
  cidataIso: string;
  /** The digest of the cidata the last boot that reached READY had (see cidata/boot-mode.ts). */
  cidataReady: string;
  basedisk: string;
  diffdisk: string;
  /** An instance made from a booted snapshot: the snapshot's frozen disk, the backing file of diffdisk (its own backing is basedisk). */
  snapshotDisk: string;
  kernel: string;
  initrd: string;
  efiVars: string;
  sshConfig: string;
  sshSock: string;
  /** The guest's ssh host key, generated on the host and handed to the guest through cidata (+ .pub). */
  hostKey: string;
  /** The guest's pinned public host key, the only one ssh accepts for the instance. */
  knownHosts: string;
  /**
   * An instance made from a booted snapshot, until its first resume gave the guest its own identity:
   * the snapshot's public host key, which the saved guest serves (src/hostagent/reidentify.ts).
   */
  resumeHostKey: string;
  /** The instance's VM generation id (a UUID, QEMU's vmgenid device): its own, kept across its boots. */
  vmgenid: string;
  qmpSock: string;
  serialLog: string;
  qemuPid: string;
  haPid: string;
  haStdoutLog: string;
  haStderrLog: string;
  /** What `shell`/`exec` need of the booted config (guest home, mounts), written by the agent at boot. */
  shellFacts: string;
  /** The record bin/tslima's shell fast path reads while the instance is READY (see shell-fast.ts). */
  shellFast: string;
  sockDir: string;
  lock: string;
  /** The saved VM state of a suspended instance (QEMU's migration stream), and its record (see suspend.ts). */
  vmState: string;
  suspendRecord: string;
  /** The host agent's control socket (hostagent/control.ts): status, suspend, snapshot, events. */
  haSock: string;
  /** Unix socket of the N-th virtiofsd. */
  virtiofsdSock(index: number): string;
}

export function instancePaths(home: string, name: string): InstancePaths {
  const dir = join(home, name);
  return {
    name,
    dir,
    limaYaml: join(dir, "lima.yaml"),
    cidataIso: join(dir, "cidata.iso"),
    cidataReady: join(dir, "cidata.ready"),
    basedisk: join(dir, "basedisk"),
    diffdisk: join(dir, "diffdisk"),
    snapshotDisk: join(dir, "snapshotdisk"),
    kernel: join(dir, "kernel"),
    initrd: join(dir, "initrd"),
    efiVars: join(dir, "efi-vars.fd"),
    sshConfig: join(dir, "ssh.config"),
    sshSock: join(dir, "ssh.sock"),
    hostKey: join(dir, "ssh_host_ed25519_key"),
    knownHosts: join(dir, "known_hosts"),
    resumeHostKey: join(dir, "ssh_host_ed25519_key.snapshot.pub"),
    vmgenid: join(dir, "vmgenid"),
    qmpSock: join(dir, "qmp.sock"),
    serialLog: join(dir, "serial.log"),
    qemuPid: join(dir, "qemu.pid"),
    haPid: join(dir, "ha.pid"),
    haStdoutLog: join(dir, "ha.stdout.log"),
    haStderrLog: join(dir, "ha.stderr.log"),
    shellFacts: join(dir, "shell.json"),
    shellFast: join(dir, "shell-fast"),
    sockDir: join(dir, "sock"),
    lock: join(dir, "lock"),
    vmState: join(dir, "vmstate"),
    suspendRecord: join(dir, "suspend.json"),
    haSock: join(dir, "ha.sock"),
    virtiofsdSock: (index: number) => join(dir, `virtiofsd-${index}.sock`),
  };
}

/** Global files under TSLIMA_HOME. */
export function globalPaths(home: string) {
  const config = join(home, "_config");
  return {
    configDir: config,
    userKey: join(config, "user"),
    userPubKey: join(config, "user.pub"),
    defaultYaml: join(config, "default.yaml"),
    overrideYaml: join(config, "override.yaml"),
    networksYaml: join(config, "networks.yaml"),
    downloadCache: join(home, "_cache", "download", "by-url-sha256"),
  };
}

/** Booted snapshots live in TSLIMA_HOME/_snapshots/NAME (see store/snapshot.ts). */
export function snapshotsRoot(home: string): string {
  return join(home, "_snapshots");
}

/** The files of one booted snapshot. Pure: computes paths only. */
export interface SnapshotPaths {
  name: string;
  dir: string;
  /** The record (snapshot.json): written last, so a directory without it is not a snapshot. */
  record: string;
  limaYaml: string;
  /** The source's image as booted (a hard link or copy of its basedisk), backing `disk`. */
  basedisk: string;
  /** The source's diffdisk at the instant of the snapshot, rebased onto `basedisk` (relative name). */
  disk: string;
  kernel: string;
  initrd: string;
  efiVars: string;
  /** QEMU's migration stream: the memory and devices at the same instant. */
  vmState: string;
  /** The guest's ssh host key (+ .pub) that the snapshot's guest holds. */
  hostKey: string;
}

export function snapshotPaths(home: string, name: string): SnapshotPaths {
  return snapshotPathsIn(join(snapshotsRoot(home), name), name);
}

/** The same files in another directory (a snapshot being made, under a temporary name). */
export function snapshotPathsIn(dir: string, name: string): SnapshotPaths {
  return {
    name,
    dir,
    record: join(dir, "snapshot.json"),
    limaYaml: join(dir, "lima.yaml"),
    basedisk: join(dir, "basedisk"),
    disk: join(dir, "disk"),
    kernel: join(dir, "kernel"),
    initrd: join(dir, "initrd"),
    efiVars: join(dir, "efi-vars.fd"),
    vmState: join(dir, "vmstate"),
    hostKey: join(dir, "ssh_host_ed25519_key"),
  };
}
