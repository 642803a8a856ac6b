import type { Arch } from "../../config/types.js";
import { TslimaError } from "../../errors.js";
import { findExecutable } from "./run.js";

/** Programs a build runs, and the Debian package that has each. */
const TOOLS: Array<[string, string]> = [
  ["debootstrap", "debootstrap"],
  ["chroot", "coreutils"],
  ["mke2fs", "e2fsprogs"],
  ["sfdisk", "fdisk"],
  ["mkfs.vfat", "dosfstools"],
  ["mcopy", "mtools"],
  ["mmd", "mtools"],
  ["qemu-img", "qemu-utils"],
];

export function hostArch(): Arch | undefined {
  return ({ x64: "x86_64", arm64: "aarch64" } as Record<string, Arch>)[process.arch];
}

/** Checks up front what a build needs (root, same arch, tools), so it fails in a second, not after minutes. */
export function preflight(
  arch: Arch,
  env: NodeJS.ProcessEnv = process.env,
  find: (tool: string, env: NodeJS.ProcessEnv) => string | undefined = findExecutable,
  uid: number | undefined = process.getuid?.(),
): void {
  if (uid !== undefined && uid !== 0) {
    throw new TslimaError("IMAGE_BUILD_ROOT", "building a guest image needs root (debootstrap and chroot)", {
      hint: "run it as root, e.g. `sudo npx tslima image build debian-12`, or let scripts/setup build it",
    });
  }
  const host = hostArch();
  if (host !== arch) {
    throw new TslimaError("IMAGE_BUILD_ARCH", `cannot build a ${arch} guest on a ${host ?? process.arch} host`, {
      hint: `build on a ${arch} machine, or pass --arch ${host ?? "x86_64"}`,
    });
  }
  const missing = TOOLS.filter(([tool]) => find(tool, env) === undefined);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    throw new TslimaError(
      "IMAGE_BUILD_TOOLS",
      `building a guest image needs ${missing.map(([t]) => t).join(", ")}, not found on PATH`,
      { hint: `apt-get install ${pkgs.join(" ")}` },
    );
  }
}
