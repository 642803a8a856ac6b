import type { Command } from "commander";
import { parseBool } from "./start.js";

/** Lima's `start-at-login [INSTANCE] [--enabled=false]`, deprecated in Lima 2.2 for `autostart`. */
export function register(program: Command): void {
  program
    .command("start-at-login")
    .description('register or unregister an instance to start at login (deprecated: use "autostart enable|disable")')
    .argument("[instance]", "instance name", "default")
    .option("--enabled [bool]", "true: register (the default); false: unregister", parseBool("--enabled"), true)
    .action(async (name: string, flags: { enabled: boolean }) => {
      process.stderr.write(`Command "start-at-login" is deprecated, use "${program.name()} autostart" instead\n`);
      const [{ enableAutostart, disableAutostart }, { reportAutostart }] = await Promise.all([import("../internal.js"), import("./autostart.js")]);
      reportAutostart(name, await (flags.enabled ? enableAutostart(name) : disableAutostart(name)));
    });
}
