import type { Arch } from "../../config/types.js";
import { TslimaError } from "../../errors.js";
import { findExecutable } from "./run.js";
import type { Bootstrapper } from "./spec.js";

/** Programs a build runs, and the Debian package that has each. */
const TOOLS: Array<[string, string]> = [
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

/**
 * Pure: the command that builds `name` as root into the invoking user's build cache (sudo resets HOME
 * to root's, so HOME and XDG_CACHE_HOME are kept); `--arch` when it is not the host's.
 */
export function sudoBuildCommand(name: string, arch: Arch, host: Arch | undefined = hostArch()): string {
  return `sudo --preserve-env=HOME,XDG_CACHE_HOME tslima image build ${name}${host !== undefined && host !== arch ? ` --arch ${arch}` : ""}`;
}

/** QEMU's user-mode emulator for each guest arch, which runs the foreign build's second stage. */
export const USER_EMULATOR: Partial<Record<Arch, string>> = { aarch64: "qemu-aarch64-static", x86_64: "qemu-x86_64-static" };

/** Pure: the programs a build for `arch` on a `host` machine runs, with the Debian package of each. */
export function buildTools(arch: Arch, host: Arch | undefined, bootstrapper: Bootstrapper = "debootstrap"): Array<[string, string]> {
  const tools: Array<[string, string]> = [[bootstrapper, bootstrapper], ...TOOLS];
  if (host === arch) return tools;
  const emulator = USER_EMULATOR[arch];
  if (!emulator) return tools;
  // mmdebstrap checks with arch-test that the host can run the foreign arch's binaries, and stops
  // without it ("install arch-test for foreign architecture support"); apt only recommends it.
  const archTest: Array<[string, string]> = bootstrapper === "mmdebstrap" ? [["arch-test", "arch-test"]] : [];
  return [...tools, [emulator, "qemu-user-static"], ["update-binfmts", "binfmt-support"], ...archTest];
}

/**
 * Checks up front what a build needs (root, tools; for another arch, QEMU's user-mode emulator), so it
 * fails in a second, not after minutes.
 */
export function preflight(
  arch: Arch,
  bootstrapper: Bootstrapper,
  env: NodeJS.ProcessEnv = process.env,
  find: (tool: string, env: NodeJS.ProcessEnv) => string | undefined = findExecutable,
  uid: number | undefined = process.getuid?.(),
): void {
  if (uid !== undefined && uid !== 0) {
    throw new TslimaError("IMAGE_BUILD_ROOT", `building a guest image needs root (${bootstrapper} and chroot)`, {
      hint: "run it as root, e.g. `sudo npx tslima image build debian-12`, or let scripts/setup build it",
    });
  }
  const host = hostArch(),
    foreign = host !== arch;
  if (foreign && USER_EMULATOR[arch] === undefined) {
    throw new TslimaError("IMAGE_BUILD_ARCH", `cannot build a ${arch} guest on a ${host ?? process.arch} host`, {
      hint: `build on a ${arch} machine, or pass --arch ${host ?? "x86_64"}`,
    });
  }
  const missing = buildTools(arch, host, bootstrapper).filter(([tool]) => find(tool, env) === undefined);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    throw new TslimaError(
      "IMAGE_BUILD_TOOLS",
      `building a guest image needs ${missing.map(([t]) => t).join(", ")}, not found on PATH`,
      { hint: `apt-get install ${pkgs.join(" ")}` },
    );
  }
}
