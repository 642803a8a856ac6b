/**
 * `limactl network list|create|delete`: the networks of networks.yaml (src/network/). Delete refuses a
 * network an instance's lima.yaml names in `networks[].lima`, since that instance would not start.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { TslimaError } from "../errors.js";
import { instancePaths, tslimaHome } from "../store/paths.js";
import { editNetworks, loadNetworks, type NetworkDef } from "../network/config.js";
import { subnetOf } from "../network/networks-yaml.js";
import { addNetworkText, networkToCreate, removeNetworksText, type NetworkCreateOptions } from "../network/networks-edit.js";
import { listInstanceNames } from "./lookup.js";

export type { NetworkCreateOptions } from "../network/networks-edit.js";
export type { NetworkDef, NetworkMode } from "../network/config.js";

export interface NetworkOptions {
  /** Default: TSLIMA_HOME (store/paths.ts tslimaHome). */
  home?: string;
}

/** One network as `limactl network list --json` prints it: Lima's fields and order. */
export interface NetworkJson {
  name: string;
  mode: string;
  interface?: string;
  gateway?: string;
  dhcpEnd?: string;
  netmask?: string;
}

export function networkJson(d: NetworkDef): NetworkJson {
  const out: NetworkJson = { name: d.name, mode: d.mode };
  if (d.interface !== undefined) out.interface = d.interface;
  if (d.gateway !== undefined) out.gateway = d.gateway;
  if (d.dhcpEnd !== undefined) out.dhcpEnd = d.dhcpEnd;
  if (d.netmask !== undefined) out.netmask = d.netmask;
  return out;
}

/** The gateway in CIDR form (192.168.104.1/24), as `network list` shows it; undefined without a gateway. */
export function cidrOf(d: NetworkDef): string | undefined {
  const sub = subnetOf(d);
  return sub === undefined || d.gateway === undefined ? undefined : `${d.gateway}/${sub.prefixLength}`;
}

/** The networks named (all when none is), sorted by name, and the names that match none. */
export async function listNetworks(names: string[] = [], opts: NetworkOptions = {}): Promise<{ networks: NetworkDef[]; unmatched: string[] }> {
  const cfg = await loadNetworks(opts.home ?? tslimaHome());
  const all = Object.keys(cfg.networks).sort();
  const wanted = names.length === 0 ? all : names.filter((n) => all.includes(n));
  return { networks: wanted.map((n) => cfg.networks[n] as NetworkDef), unmatched: names.filter((n) => !all.includes(n)) };
}

/** `network create NAME`: adds a network to networks.yaml (Lima's rules: see networkToCreate), keeping the file's comments. */
export async function createNetwork(name: string, o: NetworkCreateOptions & NetworkOptions = {}): Promise<NetworkDef> {
  return editNetworks(o.home ?? tslimaHome(), (text, cfg) => {
    if (Object.hasOwn(cfg.networks, name)) {
      throw new TslimaError("NETWORK_EXISTS", `network \`${name}\` already exists`, { hint: `pick another name, or delete it first: network delete --force ${name}` });
    }
    const def = networkToCreate(name, o);
    return { text: addNetworkText(text, def), result: def };
  });
}

/** Instances whose lima.yaml names the network in networks[].lima. */
export function instancesUsingNetwork(home: string, name: string): string[] {
  return listInstanceNames(home).filter((i) => {
    try {
      const doc = parse(readFileSync(instancePaths(home, i).limaYaml, "utf8")) as { networks?: unknown } | null;
      const list = Array.isArray(doc?.networks) ? (doc.networks as unknown[]) : [];
      return list.some((x) => x !== null && typeof x === "object" && (x as { lima?: unknown }).lima === name);
    } catch {
      return false;
    }
  });
}

/**
 * `network delete NAME...`: removes the networks from networks.yaml; one an instance names is
 * refused (NETWORK_IN_USE, with the instances). Returns the names the file did not have.
 */
export async function deleteNetworks(names: string[], opts: NetworkOptions = {}): Promise<{ deleted: string[]; missing: string[] }> {
  const home = opts.home ?? tslimaHome();
  for (const n of names) {
    const users = instancesUsingNetwork(home, n);
    if (users.length > 0) {
      throw new TslimaError("NETWORK_IN_USE", `network \`${n}\` is used by instance ${users.join(", ")} (networks[].lima in lima.yaml)`, {
        hint: `remove it from ${users.length > 1 ? "their" : "its"} networks (tslima edit ${users[0] as string}), or delete the instance${users.length > 1 ? "s" : ""} first`,
      });
    }
  }
  return editNetworks(home, (text) => {
    const inFile: unknown = (parse(text) as { networks?: unknown } | null)?.networks;
    const has = (n: string) => typeof inFile === "object" && inFile !== null && Object.hasOwn(inFile, n);
    return { text: removeNetworksText(text, names), result: { deleted: names.filter(has), missing: names.filter((n) => !has(n)) } };
  });
}
