/**
 * Lima's YAML schema as tslima understands it.
 *
 * `LimaYAML` is what a file may say (every field optional, as written by a user or template);
 * `Config` is the result of load -> resolve base -> merge -> fill defaults -> validate, with every
 * field the planners need filled in. Field names follow Lima exactly so that Lima's templates load.
 */

export type Arch = "x86_64" | "aarch64" | "armv7l" | "ppc64le" | "riscv64" | "s390x";
export type OS = "Linux" | "Darwin" | "FreeBSD" | "Windows";
export type VMType = "qemu" | "vz" | "wsl2" | "krunkit";
export type MountType = "9p" | "virtiofs" | "reverse-sshfs";
export type SecurityModel = "passthrough" | "mapped-xattr" | "mapped-file" | "none";
export type ProtocolVersion = "9p2000" | "9p2000.u" | "9p2000.L";
export type NinePCache = "none" | "loose" | "fscache" | "mmap";
export type ProvisionMode = "system" | "user" | "boot" | "dependency" | "ansible" | "data" | "yq";

export interface FileLocator {
  url: string;
  digest?: string;
}

export interface ImageFile {
  location: string;
  arch: Arch;
  digest?: string;
}

export interface Image extends ImageFile {
  variant?: string;
  archVariant?: string;
  kernel?: ImageFile & { cmdline?: string };
  initrd?: ImageFile;
}

export interface NinePOptions {
  securityModel: SecurityModel;
  protocolVersion: ProtocolVersion;
  /** Lima writes sizes like "128KiB"; kept as written, parse with parseSize(). */
  msize: string;
  cache: NinePCache;
}

export interface Mount {
  location: string;
  mountPoint: string;
  writable: boolean;
  sshfs: { cache: boolean; followSymlinks: boolean; sftpDriver: string };
  "9p": NinePOptions;
  virtiofs: { queueSize?: number };
}

/**
 * A mount as lima.yaml holds it, for the library's options: `location` (absolute or ~/...) and any
 * of Mount's other fields, each optional (Lima's defaults fill the rest).
 */
export type MountInput = Pick<Mount, "location"> & { [K in Exclude<keyof Mount, "location">]?: Partial<Mount[K]> };

export interface Provision {
  mode: ProvisionMode;
  script?: string;
  file?: string | FileLocator;
  /** For mode "data". */
  path?: string;
  content?: string;
  overwrite?: boolean;
  owner?: string;
  permissions?: string;
  skipDefaultDependencyResolution?: boolean;
  /** For mode "yq": the yq expression applied to `path`, and the file format ("auto", "json", ...). */
  expression?: string;
  format?: string;
  /** For mode "ansible" (deprecated in Lima). */
  playbook?: string;
}

export interface Probe {
  mode: "readiness";
  description: string;
  script: string;
  file?: string | FileLocator;
  hint: string;
}

export interface PortForward {
  guestIPMustBeZero: boolean;
  guestIP: string;
  guestPort: number;
  guestPortRange: [number, number];
  guestSocket: string;
  hostIP: string;
  hostPort: number;
  hostPortRange: [number, number];
  hostSocket: string;
  proto: "tcp" | "udp" | "any";
  reverse: boolean;
  ignore: boolean;
}

/**
 * A port forward as lima.yaml holds it, for the library's options: any of PortForward's fields, and
 * Lima's `static` (forwarded from the start rather than when the guest listens).
 */
export type PortForwardInput = Partial<PortForward> & { static?: boolean };

export interface Network {
  lima?: string;
  socket?: string;
  vzNAT?: boolean;
  macAddress?: string;
  interface?: string;
  metric?: number;
}

/** One of containerd.archives: a nerdctl-full archive (arch filled with the config's when unset, as Lima). */
export interface ContainerdArchive {
  location: string;
  arch: Arch;
  digest?: string;
}

/** One of firmware.images: a UEFI code image (arch filled with the config's when unset, as Lima). */
export interface FirmwareImage {
  location: string;
  arch: Arch;
  digest?: string;
  vmType?: string;
}

export interface Config {
  vmType: VMType;
  os: OS;
  arch: Arch;
  images: Image[];
  cpus: number;
  /** Size strings as written ("4GiB"); parse with parseSize(). */
  memory: string;
  disk: string;
  mounts: Mount[];
  mountType: MountType;
  mountTypesUnsupported: MountType[];
  mountInotify: boolean;
  ssh: {
    localPort: number;
    loadDotSSHPubKeys: boolean;
    forwardAgent: boolean;
    forwardX11: boolean;
    forwardX11Trusted: boolean;
  };
  /** images: Lima's UEFI code images (the first of the arch for vmType qemu is used; hostagent/firmware.ts), only when set. */
  firmware: { legacyBIOS: boolean; images?: FirmwareImage[] };
  /** passwordlessSudo: Lima's default true (NOPASSWD sudo); false = sudo asks for the password in ~/password. */
  user: { name: string; comment: string; uid: number; home: string; shell: string; passwordlessSudo: boolean };
  provision: Provision[];
  probes: Probe[];
  portForwards: PortForward[];
  networks: Network[];
  env: Record<string, string>;
  param: Record<string, string>;
  message: string;
  /** containerd (config/containerd.ts): Lima's archives filled in; installed at boot when system or user. */
  containerd: { system: boolean; user: boolean; archives: ContainerdArchive[] };
  hostResolver: { enabled: boolean; ipv6: boolean; hosts: Record<string, string> };
  propagateProxyEnv: boolean;
  upgradePackages: boolean;
  timezone: string;
  plain: boolean;
  /** Everything else Lima defines that tslima keeps but does not act on, untouched. */
  extra: Record<string, unknown>;
}

/** Facts about the host, probed once by an executor and passed to pure code. */
export interface HostFacts {
  os: OS;
  arch: Arch;
  cpus: number;
  /** Total RAM in bytes. */
  memoryBytes: number;
  home: string;
  user: string;
  uid: number;
  gid: number;
  /** Directory for temporary files ({{.GlobalTempDir}}). */
  tmpDir: string;
  /** Free bytes on the file system that holds the instances (disk images), if known. */
  diskFreeBytes?: number;
  /** The host's zoneinfo name (e.g. "Europe/Berlin"), the default for `timezone`; "" or absent if unknown. */
  timezone?: string;
}
