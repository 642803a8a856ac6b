import type { Command } from "commander";

/**
 * `screenshot NAME [-o FILE]` (Lima's): the screen of an instance booted with `video.display: vnc`,
 * written 0600 (PNG; PPM for a .ppm name); its absolute path on stdout.
 */
export function register(program: Command): void {
  program
    .command("screenshot")
    .description("capture the screen of an instance with video.display: vnc")
    .argument("<name>", "instance name")
    .option("-o, --output <file>", "output path; .png or .ppm (default: NAME-screenshot.png)")
    .action(async (name: string, flags: { output?: string }) => {
      const { screenshot } = await import("../internal.js");
      const file = await screenshot(name, flags.output !== undefined ? { output: flags.output } : {});
      process.stdout.write(`${file}\n`);
    });
}
