// TEMPORARY (netswitch branch): replaced by the netcli branch's networks.yaml module at merge.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { TslimaError } from "../errors.js";

export type NetworkMode = "user-v2" | "shared" | "bridged" | "host";
export interface NetworkDef { name: string; mode: NetworkMode; gateway?: string; netmask?: string; dhcpEnd?: string; interface?: string }
export interface UserV2Network { name: string; gateway: string; netmask: string; prefixLength: number; subnet: string }
export interface NetworksConfig { file: string; networks: Record<string, NetworkDef> }

export async function loadNetworks(home: string): Promise<NetworksConfig> {
  const file = join(home, "_config", "networks.yaml");
  let networks: Record<string, NetworkDef> = {};
  try {
    const y = parse(readFileSync(file, "utf8")) as { networks?: Record<string, Omit<NetworkDef, "name">> };
    networks = Object.fromEntries(Object.entries(y.networks ?? {}).map(([k, v]) => [k, { name: k, ...v }]));
  } catch {
    /* default */
  }
  networks["user-v2"] ??= { name: "user-v2", mode: "user-v2", gateway: "192.168.104.1", netmask: "255.255.255.0" };
  return { file, networks };
}

export function userV2Network(cfg: NetworksConfig, name: string, where: string): UserV2Network {
  const n = cfg.networks[name];
  if (!n) throw new TslimaError("CONFIG_INVALID", `${where}: no network ${name} in ${cfg.file}`);
  return { name, gateway: n.gateway!, netmask: n.netmask!, prefixLength: 24, subnet: "" };
}
