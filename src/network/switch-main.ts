import { SwitchDaemon } from "./daemon.js";

/**
 * The switch daemon's process: `node switch-main.js DIR HOME NAME GATEWAY NETMASK`, started detached
 * by network/client.ts with its output in DIR/switch.log. Exits 0 at once when another daemon serves
 * the network.
 */
async function main(): Promise<void> {
  const [dir, home, name, gateway, netmask] = process.argv.slice(2);
  if (!dir || !home || !name || !gateway || !netmask) {
    process.stderr.write("usage: switch-main.js DIR HOME NAME GATEWAY NETMASK\n");
    process.exit(2);
  }
  process.umask(0o077);
  const d = new SwitchDaemon({ dir, home, name, gateway, netmask });
  if (!(await d.start())) return;
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void d.stop(sig));
  await d.finished;
}

main().catch((e: unknown) => {
  process.stderr.write(`switch: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
