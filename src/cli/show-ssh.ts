import type { Command } from "commander";

/**
 * `show-ssh NAME [--format cmd|args|options|config]` (Lima's, deprecated there): the instance's ssh
 * options as an ssh command line, its -o words, KEY=VALUE lines or an ssh_config block, with
 * Lima's deprecation warning on stderr. The instance need not run.
 */
export function register(program: Command): void {
  program
    .command("show-ssh")
    .description("show the ssh command line of an instance (deprecated in Lima: use `ssh -F DIR/ssh.config lima-NAME`)")
    .argument("<name>", "instance name")
    .option("-f, --format <format>", "cmd, args, options or config", "cmd")
    .action(async (name: string, flags: { format: string }) => {
      const { showSsh } = await import("../internal.js");
      const r = showSsh(name, { format: flags.format });
      process.stderr.write(`warning: ${r.warning}\n`);
      process.stdout.write(r.text);
    });
}
