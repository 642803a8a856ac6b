import type { Command } from "commander";
import type { AutostartResult } from "../internal.js";
import { TslimaError } from "../errors.js";

/** What enable/disable printed: the outcome, then the warning when systemd could not be told. */
export function reportAutostart(name: string, r: AutostartResult, write: (s: string) => void = (s) => void process.stderr.write(s)): void {
  const outcome: Record<AutostartResult["file"], string> = r.systemd
    ? {
        created: `instance ${name} registered to start at login (${r.unit})`,
        updated: `instance ${name} registered to start at login (${r.unit}, updated)`,
        removed: `instance ${name} unregistered from start at login (${r.unit} removed)`,
        absent: `instance ${name} is not registered for automatic startup`,
      }
    : {
        created: `instance ${name}: wrote ${r.unit}, not enabled (see the warning)`,
        updated: `instance ${name}: updated ${r.unit}, not enabled (see the warning)`,
        removed: `instance ${name}: removed ${r.unit} (see the warning)`,
        absent: `instance ${name} is not registered for automatic startup`,
      };
  write(`${outcome[r.file]}\n`);
  if (r.warning !== undefined) write(`warning: ${r.warning}\n`);
}

/** `--condition`: only `login` on a Linux host, as in Lima (`boot` is a macOS LaunchDaemon there). */
export function checkCondition(condition: string, user: string | undefined): string | undefined {
  if (condition === "boot") {
    throw new TslimaError("AUTOSTART_UNSUPPORTED", "--condition=boot starts an instance at system boot, which Lima does on macOS only", {
      hint: "use --condition=login (the default): a systemd user unit started with your user manager (`loginctl enable-linger` starts that at boot)",
    });
  }
  if (condition !== "login") throw new TslimaError("INVALID_FLAG", `--condition takes login or boot, not "${condition}"`, { hint: "e.g. --condition=login" });
  return user === undefined ? undefined : "--user applies only to --condition=boot; ignored";
}

export function register(program: Command): void {
  const autostart = program.command("autostart").description("start instances when you log in (a systemd user unit per instance)");
  autostart
    .command("enable")
    .description("register an instance to start at login: writes ~/.config/systemd/user/lima-vm@NAME.service and enables it")
    .argument("<instance>", "instance name")
    .option("--condition <when>", 'when to start it: "login" (the only one on Linux; "boot" is macOS only in Lima)', "login")
    .option("--user <name>", "with --condition=boot only (macOS in Lima)")
    .action(async (name: string, flags: { condition: string; user?: string }) => {
      const note = checkCondition(flags.condition, flags.user);
      if (note !== undefined) process.stderr.write(`warning: ${note}\n`);
      const { enableAutostart } = await import("../internal.js");
      reportAutostart(name, await enableAutostart(name));
    });
  autostart
    .command("disable")
    .description("unregister an instance from starting at login: disables and removes its unit")
    .argument("<instance>", "instance name")
    .action(async (name: string) => {
      const { disableAutostart } = await import("../internal.js");
      reportAutostart(name, await disableAutostart(name));
    });
}
