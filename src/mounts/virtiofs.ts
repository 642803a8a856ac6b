import type { Mount } from "../config/types.js";
import { TslimaError } from "../errors.js";
import { qemuOptValue, type MountContext, type MountDriver } from "./driver.js";
import { fstabEscape } from "./fstab.js";
import { mountTag } from "./tag.js";
import type { MountDaemon, PlannedMount } from "./types.js";
import type { VirtiofsdInfo } from "./virtiofsd.js";

/** QEMU id of the shared guest-memory backend vhost-user-fs needs. */
export const VIRTIOFS_MEMORY_ID = "virtiofs-mem";
const DEFAULT_QUEUE_SIZE = 1024;
/** sh script: $1 = directory made a read-only bind mount (in a private mount namespace), then exec the rest. */
export const READONLY_WRAPPER = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';

/**
 * A daemon that cannot refuse writes itself (the C one; a Rust one older than its --readonly), run as
 * root: it gets a mount namespace of its own in which the location is a read-only bind mount, so the
 * host kernel refuses writes whatever the guest asks.
 */
function readOnlyNamespace(info: VirtiofsdInfo, mount: Mount, args: string[], socket: string): MountDaemon {
  return {
    command: "unshare",
    args: ["--mount", "--propagation", "private", "sh", "-c", READONLY_WRAPPER, "tslima-virtiofsd-ro", mount.location, info.binary, ...args],
    socket,
  };
}

function daemon(info: VirtiofsdInfo, socket: string, mount: Mount, asRoot: boolean): MountDaemon {
  if (info.flavor === "rust") {
    const args = [
      `--socket-path=${socket}`,
      `--shared-dir=${mount.location}`,
      "--cache=auto",
      ...(info.readonlyFlag && !mount.writable ? ["--readonly"] : []),
      // an unprivileged daemon cannot build its namespace sandbox
      ...(asRoot ? [] : ["--sandbox=none"]),
    ];
    if (mount.writable || info.readonlyFlag) return { command: info.binary, args, socket };
    return readOnlyNamespace(info, mount, args, socket);
  }
  // The C daemon's -o list is comma separated too: a comma in the path cannot be passed. Its
  // `source` takes the rest of the option verbatim otherwise.
  const args = [`--socket-path=${socket}`, "-o", `source=${mount.location}`, "-o", "cache=auto"];
  if (mount.writable) return { command: info.binary, args, socket };
  return readOnlyNamespace(info, mount, args, socket);
}

function requireDaemon(ctx: MountContext, index: number): VirtiofsdInfo {
  if (ctx.host?.os === "Darwin") {
    throw new TslimaError("MOUNT_VIRTIOFS_UNSUPPORTED", "virtiofs is not supported with vmType qemu on macOS", {
      hint: 'set mountType: "9p" (or "reverse-sshfs") in lima.yaml, or pass --mount-type 9p',
    });
  }
  const info = ctx.virtiofsd;
  if (!info) {
    throw new TslimaError("MOUNT_NO_VIRTIOFSD", `mounts[${index}]: mountType virtiofs needs virtiofsd, none was found`, {
      hint: "install virtiofsd (`apt-get install virtiofsd`, or `apt-get install qemu-system-common` for QEMU 7.2's /usr/lib/qemu/virtiofsd), or use --mount-type 9p",
    });
  }
  if (info.needsRoot && ctx.host !== undefined && ctx.host.uid !== 0) {
    throw new TslimaError("MOUNT_VIRTIOFSD_ROOT", `${info.binary} (QEMU's C virtiofsd) only runs as root`, {
      hint: "install the Rust virtiofsd (`apt-get install virtiofsd`), which runs unprivileged, or use --mount-type 9p",
    });
  }
  const mount = ctx.config.mounts[index];
  // Without --readonly, read-only needs the root-only bind mount namespace (readOnlyNamespace):
  // an unprivileged daemon would serve the mount read-write.
  if (info.flavor === "rust" && !info.readonlyFlag && mount?.writable === false && ctx.host?.uid !== 0) {
    throw new TslimaError("MOUNT_VIRTIOFS_READONLY", `mounts[${index}] (${mount.location}) is read-only, but ${info.binary} has no --readonly and tslima does not run as root, so nothing would refuse the guest's writes`, {
      hint: `install a newer virtiofsd (one whose --help lists --readonly), run tslima as root (the mount is then made read-only in a namespace of its own), set mounts[${index}].writable: true if writes are meant, or use --mount-type 9p`,
    });
  }
  if (info.flavor === "c" && mount?.location.includes(",")) {
    throw new TslimaError("MOUNT_VIRTIOFS_COMMA", `mounts[${index}].location contains a comma, which ${info.binary} cannot take`, {
      hint: "rename the directory, install the Rust virtiofsd, or use --mount-type 9p",
    });
  }
  return info;
}

/**
 * virtiofs through vhost-user-fs-pci and one virtiofsd per mount. Guest RAM must be shared with the
 * daemons: we use memory-backend-memfd (Linux only, as virtiofs here is) rather than a file on
 * /dev/shm: memfd needs no tmpfs of the guest's size (containers give /dev/shm 64MiB) and leaves no
 * file behind when QEMU dies.
 */
export const VirtiofsMount: MountDriver = {
  type: "virtiofs",
  sharedQemuArgs: (ctx: MountContext) => [
    "-object",
    `memory-backend-memfd,id=${VIRTIOFS_MEMORY_ID},size=${ctx.memoryBytes},share=on`,
    "-numa",
    `node,memdev=${VIRTIOFS_MEMORY_ID}`,
  ],
  plan(mount: Mount, index: number, ctx: MountContext): PlannedMount {
    const info = requireDaemon(ctx, index);
    const tag = mountTag(mount.location, mount.mountPoint);
    const socket = ctx.paths.virtiofsdSock(index);
    const chardev = `char-virtiofs${index}`;
    const queueSize = mount.virtiofs.queueSize ?? DEFAULT_QUEUE_SIZE;
    const access = mount.writable ? "rw" : "ro";
    return {
      mount,
      type: "virtiofs",
      tag,
      qemuArgs: [
        "-chardev",
        `socket,id=${chardev},path=${qemuOptValue(socket)}`,
        "-device",
        `vhost-user-fs-pci,queue-size=${queueSize},chardev=${chardev},tag=${tag}`,
      ],
      daemons: [daemon(info, socket, mount, ctx.host?.uid === 0)],
      fstab: [tag, fstabEscape(mount.mountPoint), "virtiofs", `${access},nofail`, "0", "0"],
      expect: { mountPoint: mount.mountPoint, fstype: "virtiofs", options: [access] },
      createLocation: mount.writable,
    };
  },
};
