import { Option, type Command } from "commander";

export function register(program: Command): void {
  program
    .command("copy")
    .alias("cp")
    .description("copy files between the host and instances, or between two instances; write instance paths as NAME:PATH")
    .argument("<source...>", "source(s), then the destination")
    .option("-r, --recursive", "copy directories recursively")
    .addOption(new Option("--backend <backend>", "scp, rsync, or auto: rsync when the host and the instance have it").choices(["scp", "rsync", "auto"]).default("auto"))
    .option("-v, --verbose", "print the command run and the tool's progress")
    .action(async (args: string[], flags: { recursive?: boolean; backend: "scp" | "rsync" | "auto"; verbose?: boolean }) => {
      if (args.length < 2) {
        program.error("error: copy needs a source and a destination, e.g. tslima copy ./f default:/tmp/", { exitCode: 1 });
      }
      const { copy } = await import("../internal.js");
      const dst = args[args.length - 1] ?? "";
      for (const src of args.slice(0, -1)) {
        await copy(src, dst, {
          recursive: flags.recursive === true,
          backend: flags.backend,
          verbose: flags.verbose === true,
          onVerbose: (line) => void process.stderr.write(`${line}\n`),
          onMessage: (line) => void process.stderr.write(`${line}\n`),
        });
      }
    });
}
