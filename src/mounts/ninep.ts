import type { Mount, NinePCache, ProtocolVersion } from "../config/types.js";
import { qemuOptValue, type MountContext, type MountDriver } from "./driver.js";
import { fstabEscape } from "./fstab.js";
import { parseSize } from "../config/sizes.js";
import { mountTag } from "./tag.js";
import type { PlannedMount } from "./types.js";

/** The largest msize Linux's virtio 9p transport accepts (PAGE_SIZE * (VIRTQUEUE_NUM - 3)); larger is capped. */
export const VIRTIO_9P_MAX_MSIZE = 4096 * (128 - 3);
/** Linux's default msize since 5.15; /proc/mounts omits msize when it equals the default. */
export const LINUX_9P_DEFAULT_MSIZE = 128 * 1024;

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
    // msize (at least 4KiB) and protocolVersion (not legacy 9p2000) were checked by config validation
    const msize = parseSize(o.msize, `mounts[${index}].9p.msize`);
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
