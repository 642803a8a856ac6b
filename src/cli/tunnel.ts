import type { Command } from "commander";

interface TunnelFlags {
  type: string;
  socksPort: string;
  stop?: boolean;
  foreground?: boolean;
}

/**
 * `tunnel NAME` (Lima's `limactl tunnel`): a SOCKS5 proxy on 127.0.0.1 through the instance, held by
 * its ssh ControlMaster. As in Lima the command returns once the proxy is up; `--stop` closes it
 * (stopping the instance does too); `--foreground` keeps it until Ctrl-C / SIGTERM.
 */
export function register(program: Command): void {
  program
    .command("tunnel")
    .description("open a SOCKS5 proxy on 127.0.0.1 through a running instance (Lima's `limactl tunnel`)")
    .argument("<name>", "instance name")
    .option("--type <type>", 'tunnel type; only "socks"', "socks")
    .option("--socks-port <port>", "SOCKS port on 127.0.0.1 (0: a free one)", "0")
    .option("--stop", "close the instance's tunnel")
    .option("--foreground", "keep running, and close the tunnel on Ctrl-C or SIGTERM")
    .action(async (name: string, flags: TunnelFlags) => {
      const { TslimaError, startTunnel, stopTunnel } = await import("../internal.js");
      if (flags.type !== "socks") throw new TslimaError("INVALID_FLAG", `unknown tunnel type: ${JSON.stringify(flags.type)}`, { hint: '--type takes "socks" (the only kind)' });
      if (flags.stop === true) {
        const port = await stopTunnel(name);
        process.stderr.write(port === undefined ? `instance ${name} has no open tunnel\n` : `closed the SOCKS proxy on 127.0.0.1:${port}\n`);
        return;
      }
      if (!/^\d+$/.test(flags.socksPort)) throw new TslimaError("INVALID_FLAG", `invalid socks port ${JSON.stringify(flags.socksPort)}`, { hint: "--socks-port takes 0 (a free port) or a port from 1024 to 65535" });
      const { port, reused } = await startTunnel(name, { socksPort: Number(flags.socksPort) });
      if (reused) process.stderr.write(`instance ${name} already has a tunnel on port ${port}\n`);
      process.stdout.write(`Set \`ALL_PROXY=socks5h://127.0.0.1:${port}\`, etc.\n`);
      process.stdout.write(`The instance's own services are reached through it as <http://localhost:PORT> (names resolve in the guest).\n`);
      if (flags.foreground !== true) {
        process.stderr.write(`close it with: ${program.name()} tunnel ${name} --stop\n`);
        return;
      }
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await stopTunnel(name);
      process.stderr.write(`closed the SOCKS proxy on 127.0.0.1:${port} (${signal})\n`);
    });
}
