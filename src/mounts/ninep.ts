import type { Mount, NinePCache, ProtocolVersion } from "../config/types.js";
import { TslimaError } from "../errors.js";
import { qemuOptValue, type MountContext, type MountDriver } from "./driver.js";
import { fstabEscape } from "./fstab.js";
import { parseSize } from "../config/sizes.js";
import { mountTag } from "./tag.js";
import type { PlannedMount } from "./types.js";

/** The largest msize Linux's virtio 9p transport accepts (PAGE_SIZE * (VIRTQUEUE_NUM - 3)); larger is capped. */
export const VIRTIO_9P_MAX_MSIZE = 4096 * (128 - 3);
/** Linux's default msize since 5.15; /proc/mounts omits msize when it equals the default. */
export const LINUX_9P_DEFAULT_MSIZE = 128 * 1024;
const MIN_MSIZE = 4096;

/**
 * How Linux prints each cache mode in /proc/mounts, over kernel versions:
 * up to 6.3 ",loose" (no key), 6.4 ",cache=loose", 6.5+ a hex bit set (",cache=f"). "none" prints nothing.
 */
const CACHE_SHOWN: Record<NinePCache, string | undefined> = {
  none: undefined,
  mmap: "mmap|cache=mmap|cache=5",
  loose: "loose|cache=loose|cache=f",
  fscache: "fscache|cache=fscache|cache=8f",
};

/** How the protocol version shows: 9p2000.L is the default (nothing), .u "version=9p2000.u", legacy "noextend". */
function versionTokens(v: ProtocolVersion): string[] {
  switch (v) {
    case "9p2000.L":
      return ["!noextend", "!version=9p2000.u"];
    case "9p2000.u":
      return ["version=9p2000.u"];
    case "9p2000":
      return ["noextend"];
  }
}

/** QEMU's own 9p server (virtio-9p-pci), one -fsdev + -device pair per mount. */
export const NinePMount: MountDriver = {
  type: "9p",
  sharedQemuArgs: () => [],
  plan(mount: Mount, index: number, _ctx: MountContext): PlannedMount {
    const o = mount["9p"];
    const where = `mounts[${index}].9p.msize`;
    const msize = parseSize(o.msize, where);
    if (msize < MIN_MSIZE) {
      throw new TslimaError("CONFIG_9P_MSIZE", `${where}: ${o.msize} is below the 9p minimum of 4KiB`, {
        hint: `set ${where} to at least "4KiB" in lima.yaml`,
      });
    }
    if (o.protocolVersion === "9p2000") {
      // QEMU's 9p server (hw/9pfs) answers a Tversion of plain "9P2000" with "unknown": the guest's
      // mount fails with EREMOTEIO ("Remote I/O error"), which nofail would hide. Refuse it up front.
      throw new TslimaError(
        "MOUNT_9P_LEGACY",
        `mounts[${index}] (${mount.location} -> ${mount.mountPoint}): 9p.protocolVersion "9p2000" (legacy 9P) is not spoken by QEMU's 9p server; the guest could not mount it ("Remote I/O error")`,
        { hint: `set mounts[${index}].9p.protocolVersion to "9p2000.L" (the default) or "9p2000.u" in lima.yaml` },
      );
    }
    const tag = mountTag(mount.location, mount.mountPoint);
    const fsdev = `fsdev${index}`;
    const fsdevOpts = [
      "local",
      `id=${fsdev}`,
      `path=${qemuOptValue(mount.location)}`,
      `security_model=${o.securityModel}`,
      ...(mount.writable ? [] : ["readonly=on"]),
    ];
    const options = [
      mount.writable ? "rw" : "ro",
      "trans=virtio",
      `version=${o.protocolVersion}`,
      `msize=${msize}`,
      `cache=${o.cache}`,
      "nofail",
    ].join(",");
    const shownMsize = Math.min(msize, VIRTIO_9P_MAX_MSIZE);
    const cache = CACHE_SHOWN[o.cache];
    const expectOptions = [
      mount.writable ? "rw" : "ro",
      "trans=virtio",
      ...versionTokens(o.protocolVersion),
      shownMsize === LINUX_9P_DEFAULT_MSIZE ? `?msize=${shownMsize}` : `msize=${shownMsize}`,
      ...(cache === undefined ? ["!loose", "!mmap", "!fscache", "!cache"] : [cache]),
    ];
    return {
      mount,
      type: "9p",
      tag,
      qemuArgs: [
        "-fsdev",
        fsdevOpts.join(","),
        "-device",
        `virtio-9p-pci,id=fs${index},fsdev=${fsdev},mount_tag=${tag}`,
      ],
      daemons: [],
      fstab: [tag, fstabEscape(mount.mountPoint), "9p", options, "0", "0"],
      expect: { mountPoint: mount.mountPoint, fstype: "9p", options: expectOptions },
      createLocation: mount.writable,
    };
  },
};
