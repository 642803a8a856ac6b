import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("copy")
    .alias("cp")
    .description("copy files between the host and instances; write instance paths as NAME:PATH")
    .argument("<source...>", "source(s), then the destination")
    .option("-r, --recursive", "copy directories recursively")
    .action(async (args: string[], flags: { recursive?: boolean }) => {
      if (args.length < 2) {
        program.error("error: copy needs a source and a destination, e.g. tslima copy ./f default:/tmp/", { exitCode: 1 });
      }
      const { copy } = await import("../index.js");
      const dst = args[args.length - 1] ?? "";
      for (const src of args.slice(0, -1)) await copy(src, dst, { recursive: flags.recursive === true });
    });
}
