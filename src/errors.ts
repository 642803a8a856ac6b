/**
 * Every error a user can cause or fix is a TslimaError with one of these codes (a closed list: add
 * a code here, with one line on what it means, before throwing it). `error.code` is the code with
 * the ERR_TSLIMA_ prefix. The CLI's single top-level handler prints `error: MESSAGE`,
 * `hint: HINT` and `code: CODE`, never a stack trace, and exits 1. Errors of the host agent cross to
 * the CLI as data (see AgentError in src/store/events.ts) and keep their code and hint.
 */
export const ERROR_CODES = {
  // Configuration (lima.yaml, flags) — found before anything starts
  CONFIG_INVALID: "lima.yaml breaks one or more rules; every issue is listed as FILE:LINE:COL: field: message",
  CONFIG_SIZE: "a size field (memory, disk, 9p.msize) cannot be read",
  CONFIG_MEMORY: "memory is below what a Linux guest needs",
  CONFIG_ENV_NAME: "an env/param name cannot be exported by a shell",
  CONFIG_PARAM_NAME: "a param name is not a valid identifier",
  CONFIG_PROVISION_FILE: "a provision script file cannot be read",
  CONFIG_PROVISION_PATH: "a provision step lacks the path it needs",
  CONFIG_CA_FILE: "a caCerts.files entry is not a readable PEM certificate file",
  BAD_SIZE: "a size given to the library or CLI cannot be read",
  BAD_SET_EXPRESSION: "a --set KEY=VALUE expression cannot be applied",
  YQ_EXPRESSION: "a `limactl yq` expression does not parse or cannot be evaluated on the input",
  YQ_INPUT: "a `limactl yq` input file is missing or does not parse",
  INVALID_FLAG: "a command-line flag has a value that cannot be used",
  INVALID_OPTION: "an option of a library call has a value that cannot be used (the message names it, e.g. options.mounts[0].location)",
  INVALID_FORMAT: "an unknown --format",
  INVALID_NAME: "an instance name that Lima would not accept",
  ARCH_UNSUPPORTED: "the configured arch is not supported by the QEMU driver",
  SSH_PORT: "ssh.localPort is not a TCP port",
  SOCKET_PATH_TOO_LONG: "a unix socket path in the instance directory is longer than the OS allows",
  // Instances and templates
  UNKNOWN_INSTANCE: "no instance of that name",
  INSTANCE_EXISTS: "an instance of that name already exists",
  INSTANCE_RUNNING: "the instance must be stopped first",
  POOL_CLOSED: "the instance pool was closed (disposed); it hands out no more instances",
  POOL_FAILED: "the instance pool stopped refilling after consecutive failed starts (the cause is the last one)",
  EDITOR_FAILED: "the editor opened by `edit` exited with an error",
  INSTANCE_PROTECTED: "the instance is protected (tslima protect); unprotect it first",
  NOT_RUNNING: "the instance must be running",
  NO_DISPLAY: "the instance was booted without video.display: vnc (screenshot)",
  TEMPLATE_NOT_FOUND: "no template of that name",
  PLUGIN_FAILED: "a limactl-NAME plugin could not be run, or a limactl-url-SCHEME plugin failed to resolve a template locator",
  GITHUB_LOCATOR: "a github: template locator is malformed, cannot be looked up, or redirects against Lima's rules",
  FILE_EXISTS: "a file would be overwritten",
  LOCK: "the lock file cannot be taken (stale and cannot be removed)",
  LOCKED: "another tslima process works on the same instance",
  UNSAFE_DIRECTORY: "TSLIMA_HOME or an instance directory is owned by another user or writable by group or others",
  // Images
  IMAGE_LOCATION: "an image location of a kind that is not supported",
  IMAGE_NONE_FOR_ARCH: "lima.yaml lists no image for the instance's arch",
  IMAGE_UNAVAILABLE: "none of the images could be fetched",
  IMAGE_NOT_FOUND: "a local image file does not exist",
  IMAGE_MISSING: "an image file to copy does not exist",
  IMAGE_DOWNLOAD_FAILED: "an image download failed",
  IMAGE_DIGEST_INVALID: "an image digest is not in algorithm:hex form",
  IMAGE_DIGEST_MISMATCH: "an image does not match its digest",
  IMAGE_BUILD_UNKNOWN: "no local build recipe for that image name",
  IMAGE_BUILD_ARCH: "a local image build for an arch this host cannot build",
  IMAGE_BUILD_PACKAGE: "a package name for a local build is not a package name",
  IMAGE_BUILD_ROOT: "a local image build needs root",
  IMAGE_BUILD_TOOLS: "a local image build needs tools that are not installed",
  IMAGE_BUILD_BINFMT: "a local build for another arch needs binfmt_misc to run that arch's programs through QEMU",
  IMAGE_BUILD_MIRROR: "no Debian mirror found for a local build",
  IMAGE_BUILD_OUTPUT: "the output directory of a local build is not a build",
  IMAGE_BUILD_FAILED: "a step of a local image build failed",
  IMAGE_NOT_BUILT: "a local image build is not built and cannot be built here (build:debian-12-docker at start without root, or a prebuilt-only lookup)",
  IMAGE_UNSAFE: "an image or disk from outside names a host file (backing file, external data file) or is in a format tslima does not boot",
  DISK_MISSING: "a disk file of the instance is missing",
  UNKNOWN_DISK: "no additional disk of that name (limactl disk list)",
  DISK_EXISTS: "an additional disk of that name already exists",
  DISK_IN_USE: "the additional disk is locked by an instance (in_use_by): stop it, or unlock a stale lock",
  DISK_SIZE: "an additional disk can only grow",
  SNAPSHOT_TAG: "Lima's per-instance snapshot (--tag) cannot be taken, applied or deleted as asked",
  // Networks (networks.yaml, `network create|delete`)
  NETWORKS_CONFIG: "networks.yaml cannot be read or breaks a rule (the message names the field)",
  NETWORK_UNKNOWN: "no network of that name in networks.yaml",
  NETWORK_UNSUPPORTED: "a network of a mode tslima cannot run (shared, bridged, host need socket_vmnet)",
  NETWORK_EXISTS: "a network of that name already exists",
  NETWORK_INVALID: "`network create` was given a mode, gateway or interface that cannot be used",
  NETWORK_IN_USE: "the network is listed in an instance's lima.yaml",
  // Host programs
  QEMU_MISSING: "qemu-system-<arch> is not installed",
  QEMU_BROKEN: "qemu-system-<arch> does not run",
  QEMU_IMG: "qemu-img failed",
  QEMU_EXITED: "QEMU exited while the guest was booting",
  FIRMWARE_MISSING: "no UEFI firmware for the arch",
  QMP_CONNECT: "QEMU's monitor socket cannot be reached",
  QMP_CLOSED: "QEMU's monitor connection closed",
  QMP_PROTOCOL: "QEMU's monitor did not speak QMP",
  QMP_TIMEOUT: "QEMU's monitor did not answer in time",
  QMP_ERROR: "QEMU refused a monitor command",
  SSH: "the ssh client cannot be run",
  SSH_KEY: "the user's ssh key cannot be read",
  SSH_KEYGEN: "ssh-keygen failed",
  SSH_TIMEOUT: "the guest's sshd did not answer in time",
  SSH_HOST_KEY: "the ssh server on an instance's port did not present the instance's pinned host key",
  SSH_AUTH: "the guest's sshd refused the user's key, and waiting cannot change that (a resumed guest)",
  SHELL_ARG_NUL: "a command argument contains a NUL byte",
  SHELL_ENV_PATTERN: "LIMA_SHELLENV_ALLOW or LIMA_SHELLENV_BLOCK holds a pattern that cannot be used",
  PORT_IN_USE: "ssh.localPort is taken by another program",
  // Mounts
  MOUNT_LOCATION: "a mount's host directory is missing or not a directory",
  MOUNT_NO_VIRTIOFSD: "virtiofs needs virtiofsd, which is not installed",
  MOUNT_VIRTIOFSD_ROOT: "the installed virtiofsd only runs as root",
  MOUNT_VIRTIOFS_COMMA: "the C virtiofsd cannot share a path with a comma",
  MOUNT_VIRTIOFS_READONLY: "a read-only virtiofs mount cannot be enforced: the virtiofsd has no --readonly and tslima is not root",
  MOUNT_VIRTIOFS_UNSUPPORTED: "virtiofs is not available on this host",
  MOUNT_DAEMON: "a mount daemon (virtiofsd) did not start",
  MOUNTS: "a mount is missing or wrong in the guest",
  SSHFS: "a reverse-sshfs mount could not be prepared in the guest",
  SSHFS_CONFINE: "the host's sftp-server cannot be confined to a reverse-sshfs mount (bubblewrap missing or refused)",
  DOCTOR_UNKNOWN_MOUNT: "doctor mounts or bench mounts --mount names no mount of the instance",
  DOCTOR_GUEST: "doctor mounts cannot run its probe in the guest (ssh fails)",
  BENCH_GUEST: "bench mounts cannot run in the guest (ssh or sudo fails, or a share cannot be mounted again)",
  // Boot and lifecycle
  AGENT_RUNNING: "a host agent already runs for the instance",
  AGENT_UNREACHABLE: "the host agent's control socket (ha.sock) is missing (an agent of an older tslima) or the agent ended during a request",
  CONTROL_REQUEST: "a line sent to the host agent's control socket (ha.sock) is no valid request",
  CLOUD_INIT: "cloud-init reported errors in the guest",
  NOT_READY: "cloud-init finished but the guest never became ready",
  PROBE_FAILED: "a readiness probe failed after provisioning failed",
  COPY_TO_HOST: "a copyToHost file could not be copied from the guest (missing without skipIfMissing, unreadable, over the size cap, or the host path cannot be written)",
  GUEST_SSHD_FAILED: "the guest's ssh server failed to start (serial.log says so); waiting cannot help",
  GUEST_EMERGENCY: "the guest stopped in an emergency shell (serial.log says so); waiting cannot help",
  GUEST_KERNEL_PANIC: "the guest's kernel panicked (serial.log says so)",
  GUEST_FSCK: "the guest's file system needs a manual fsck (serial.log says so)",
  TIMEOUT: "the instance was not ready within --timeout",
  INTERRUPTED: "the operation was interrupted (Ctrl-C, stop, abort signal)",
  START_FAILED: "the host agent ended without saying why",
  STOP_FAILED: "the instance could not be stopped",
  AUTOSTART_UNSUPPORTED: "autostart cannot be set up as asked on this host (Linux systemd user units at login only)",
  AUTOSTART_CONFLICT: "the instance's autostart unit file exists but another program or another TSLIMA_HOME wrote it",
  AUTOSTART_FAILED: "systemctl refused to enable or disable an instance's autostart unit, or the unit cannot be written",
  SUSPEND_UNSUPPORTED: "the VM has a device whose state QEMU cannot save (a virtiofs mount), for a suspend or a booted snapshot; it keeps running",
  NETWORK_SWITCH: "the switch daemon of a user-v2 network did not start (see its switch.log under TSLIMA_HOME/_networks/NAME)",
  NETWORK_ATTACH: "the instance's QEMU could not be attached to its user-v2 network's switch",
  SUSPEND_BUSY: "a mount a suspend or a booted snapshot must unmount in the guest is in use by guest processes; the VM keeps running",
  SUSPEND_FAILED: "saving the VM state failed; the VM keeps running",
  RESUME_FAILED: "restoring the saved VM state failed; the state is discarded and the next start boots cold",
  SNAPSHOT_FAILED: "taking a booted snapshot failed; the instance keeps running and no snapshot was made",
  SNAPSHOT_NOT_FOUND: "there is no booted snapshot of that name (or it is incomplete)",
  SNAPSHOT_EXISTS: "a booted snapshot of that name exists already",
  SNAPSHOT_MISMATCH: "an instance cannot be made from the snapshot as asked (another config, another TSLIMA_HOME's ssh key)",
  COPY_LOCAL: "a copy names no instance",
  COPY_FAILED: "scp failed",
  COPY_BACKEND: "the copy backend asked for cannot do this copy (rsync missing, or two instances)",
  SHELL_SYNC: "`shell --sync DIR` cannot be used as asked (DIR too shallow or missing, an instance with mounts, no rsync on the host)",
  SHELL_SYNC_FAILED: "`shell --sync` could not copy DIR to the guest or the changes back (rsync failed)",
  INTERNAL: "a bug: an unexpected error (reported with its stack in the logs)",
} as const satisfies Record<string, string>;

/** One of the codes above. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** What `error.code` holds. */
export type TslimaErrorCode = `ERR_TSLIMA_${ErrorCode}`;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.hasOwn(ERROR_CODES, s);
}

export class TslimaError extends Error {
  readonly code: TslimaErrorCode;
  readonly hint: string | undefined;
  /** Lima's words for the same error, which `limactl` prints instead of the message (see src/cli/log.ts). */
  readonly lima: string | undefined;

  constructor(code: ErrorCode | TslimaErrorCode, message: string, options?: { hint?: string; cause?: unknown; lima?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TslimaError";
    this.code = code.startsWith("ERR_TSLIMA_") ? (code as TslimaErrorCode) : `ERR_TSLIMA_${code as ErrorCode}`;
    this.hint = options?.hint;
    this.lima = options?.lima;
  }

  /** The same error with Lima's words for it (code, message, hint and cause kept). */
  withLima(lima: string): TslimaError {
    const e = new TslimaError(this.code, this.message, { ...(this.hint !== undefined ? { hint: this.hint } : {}), cause: this.cause, lima });
    e.stack = this.stack;
    return e;
  }

  /** The code without its prefix: "MOUNT_LOCATION". */
  get kind(): ErrorCode {
    return this.code.slice("ERR_TSLIMA_".length) as ErrorCode;
  }
}

export function isTslimaError(e: unknown): e is TslimaError {
  return e instanceof TslimaError;
}
