/** The user-v2 network an instance's `networks[i].lima` names, as the switch and the guest need it. Pure. */
import { TslimaError } from "../errors.js";
import { formatIPv4, networkOf } from "./ipv4.js";
import { subnetOf, type NetworksConfig } from "./networks-yaml.js";

export interface UserV2Network {
  name: string;
  gateway: string;
  netmask: string;
  prefixLength: number;
  /** e.g. 192.168.104.0 */
  subnet: string;
}

/**
 * The user-v2 network named `name`. `where` names the config field that names it, e.g.
 * "networks[0].lima in /path/lima.yaml". Unknown: NETWORK_UNKNOWN; another mode: NETWORK_UNSUPPORTED.
 */
export function userV2Network(cfg: NetworksConfig, name: string, where: string): UserV2Network {
  const def = Object.hasOwn(cfg.networks, name) ? cfg.networks[name] : undefined;
  if (def === undefined) {
    const known = Object.keys(cfg.networks).sort();
    throw new TslimaError("NETWORK_UNKNOWN", `${where}: no network ${JSON.stringify(name)} in ${cfg.file} (known: ${known.join(", ")})`, {
      hint: `create it with \`tslima network create ${name} --gateway 192.168.42.1/24\` (or add it to ${cfg.file}), or use one of ${known.join(", ")}`,
    });
  }
  if (def.mode !== "user-v2") {
    throw new TslimaError("NETWORK_UNSUPPORTED", `${where}: network ${name} is a ${def.mode} network, which needs socket_vmnet (Lima on macOS); tslima runs user-v2 networks only`, {
      hint: `use a user-v2 network, e.g. \`lima: user-v2\`, or create one: tslima network create NAME --gateway 192.168.42.1/24`,
    });
  }
  const sub = subnetOf(def);
  if (sub === undefined || def.gateway === undefined) {
    throw new TslimaError("NETWORKS_CONFIG", `${cfg.file}: networks.${name}.gateway: a user-v2 network needs a gateway`, {
      hint: `set networks.${name}.gateway (e.g. 192.168.42.1) and netmask in ${cfg.file}`,
    });
  }
  return { name, gateway: def.gateway, netmask: def.netmask ?? "255.255.255.0", prefixLength: sub.prefixLength, subnet: formatIPv4(networkOf(sub.addr, sub.prefixLength)) };
}
