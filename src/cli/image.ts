import type { Command } from "commander";
import { TslimaError } from "../errors.js";
import type { Arch } from "../internal.js";

const arches: Arch[] = ["x86_64", "aarch64", "armv7l", "ppc64le", "riscv64", "s390x"];

/** `tslima image build NAME`: builds a guest image from distro packages (cached by its inputs). */
export function register(program: Command): void {
  const image = program.command("image").description("Manage guest images");
  image
    .command("build")
    .description("Build a guest image from the distribution's package mirror (debootstrap); cached by its inputs")
    .argument("<name>", "what to build: debian-12")
    .option("--arch <arch>", "guest architecture (default: the host's; another arch builds under QEMU user-mode emulation)")
    .option("--package <name>", "an extra package to install (repeatable)", (v: string, acc: string[]) => [...acc, v], [])
    .option("--output <dir>", "output directory (default: ~/.cache/tslima/build/NAME-ARCH-KEY)")
    .action(async (name: string, o: { arch?: string; package: string[]; output?: string }) => {
      const { buildCacheDir, buildImage, hostArch, imageProgressPrinter } = await import("../internal.js");
      const arch = (o.arch ?? hostArch() ?? "x86_64") as Arch;
      if (!arches.includes(arch)) {
        throw new TslimaError("IMAGE_BUILD_ARCH", `unknown architecture "${o.arch}"`, {
          hint: `--arch takes one of ${arches.join(", ")}`,
        });
      }
      const built = await buildImage({
        name,
        arch,
        packages: o.package,
        ...(o.output !== undefined ? { output: o.output } : {}),
        cacheDir: buildCacheDir(),
        onProgress: imageProgressPrinter(process.stderr),
      });
      const how = built.cached ? `cached (built earlier in ${built.buildSeconds} s)` : `built in ${built.buildSeconds} s`;
      process.stdout.write(
        `${built.dir}\n  ${how}\n  disk:   ${built.disk}\n  kernel: ${built.kernel}\n  initrd: ${built.initrd}\n` +
          `  cmdline: ${built.cmdline}\n  images: snippet in ${built.imageYaml}\n`,
      );
    });
}
