import type { Command } from "commander";
import { info, limaWords, warn } from "./log.js";
import { MSG } from "./messages.js";

/** `network list|create|delete`: Lima's networks.yaml (TSLIMA_HOME/_config/networks.yaml); instances join one with --network lima:NAME. */
export function register(program: Command): void {
  const network = program
    .command("network")
    .description("networks between instances (Lima's limactl network): join one with --network lima:NAME or networks: [{lima: NAME}] in lima.yaml; tslima runs user-v2 networks");
  network
    .command("list")
    .alias("ls")
    .description("list the networks of networks.yaml")
    .argument("[names...]", "only these networks")
    .option("--json", "one JSON object per line (Lima's fields)")
    .action(async (names: string[], flags: { json?: boolean }) => {
      const { listNetworks, networkJson, cidrOf } = await import("../internal.js");
      const { networks, unmatched } = await listNetworks(names);
      for (const n of unmatched) warn(MSG.networkNoMatch(n));
      if (flags.json) {
        for (const d of networks) process.stdout.write(`${JSON.stringify(networkJson(d))}\n`);
        return;
      }
      const { table } = await import("./output.js");
      process.stdout.write(table(["NAME", "MODE", "GATEWAY", "INTERFACE"], networks.map((d) => [d.name, d.mode, cidrOf(d) ?? "-", d.interface ?? "-"])));
    });
  network
    .command("create")
    .description("add a network to networks.yaml, e.g. network create foo --gateway 192.168.42.1/24")
    .argument("<name>", "the network's name")
    .option("--mode <mode>", "user-v2 (the one tslima runs), shared, bridged or host", "user-v2")
    .option("--gateway <cidr>", 'the gateway, e.g. "192.168.42.1/24" (/24 when no prefix is given)')
    .option("--interface <if>", "the host's interface (bridged networks only)")
    .action(async (name: string, flags: { mode: string; gateway?: string; interface?: string }) => {
      const { createNetwork, cidrOf, globalPaths, tslimaHome } = await import("../internal.js");
      const d = await createNetwork(name, flags);
      if (d.mode !== "user-v2") warn(MSG.networkNotRunnable(name, d.mode));
      info(MSG.networkCreated(name, `${d.mode}, ${cidrOf(d) ?? `interface ${d.interface ?? "-"}`}`, globalPaths(tslimaHome()).networksYaml));
    });
  network
    .command("delete")
    .aliases(["remove", "rm"])
    .description("remove networks from networks.yaml (--force is required, as by Lima); one an instance's lima.yaml names is refused")
    .argument("<names...>", "the networks")
    .option("-f, --force", "delete (always required)")
    .action(async (names: string[], flags: { force?: boolean }) => {
      const { deleteNetworks, TslimaError } = await import("../internal.js");
      if (flags.force !== true) {
        const prog = limaWords() ? "limactl" : "tslima";
        throw new TslimaError("INVALID_FLAG", `\`${prog} network delete\` currently always requires \`--force\``, { hint: `${prog} network delete --force ${names.join(" ")}` });
      }
      const { deleted, missing } = await deleteNetworks(names);
      for (const n of deleted) info(MSG.networkDeleted(n));
      for (const n of missing) warn(MSG.networkDeleteMissing(n));
    });
}
