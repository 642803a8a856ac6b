/**
 * networks.yaml (Lima's `_config/networks.yaml`): its default text, and the file read into a
 * validated NetworksConfig with Lima's default `user-v2` network filled in. Pure.
 */
import { parseDocument } from "yaml";
import { TslimaError } from "../errors.js";
import { broadcastOf, formatIPv4, isLoopbackOrUnspecified, networkOf, overlaps, parseIPv4, prefixOf } from "./ipv4.js";

export type NetworkMode = "user-v2" | "shared" | "bridged" | "host";
export const NETWORK_MODES: readonly NetworkMode[] = ["user-v2", "host", "shared", "bridged"];

export interface NetworkDef {
  name: string;
  mode: NetworkMode;
  gateway?: string;
  netmask?: string;
  dhcpEnd?: string;
  interface?: string;
}

export interface NetworksConfig {
  file: string;
  networks: Record<string, NetworkDef>;
}

/**
 * What tslima writes when the file is missing: Lima's networks (the same names, modes and addresses,
 * so that a Lima user finds the file they know). `paths:` and `group:` configure socket_vmnet, which
 * only Lima on macOS runs; tslima reads them and uses only `networks:`.
 */
export const DEFAULT_NETWORKS_YAML = `# Networks instances can join with \`networks: [{lima: NAME}]\` in lima.yaml (or --network lima:NAME).
# tslima runs user-v2 networks only: a switch on the host that connects the instances on it.
# shared, bridged and host networks need socket_vmnet, which only Lima on macOS runs.
paths:
  # socket_vmnet's files (Lima on macOS); tslima does not use them
  socketVMNet: /opt/socket_vmnet/bin/socket_vmnet
  varRun: /private/var/run/lima
  sudoers: /private/etc/sudoers.d/lima

# the group allowed to run socket_vmnet (Lima on macOS); tslima does not use it
group: admin

networks:
  user-v2:
    mode: user-v2
    gateway: 192.168.104.1
    netmask: 255.255.255.0
  shared:
    mode: shared
    gateway: 192.168.105.1
    dhcpEnd: 192.168.105.254
    netmask: 255.255.255.0
  bridged:
    mode: bridged
    interface: en0
    # no gateway: the outside network's DHCP serves a bridged network
  host:
    mode: host
    gateway: 192.168.106.1
    dhcpEnd: 192.168.106.254
    netmask: 255.255.255.0
`;

/** Lima's default user-v2 network, filled in when the file has no user-v2 network with a gateway. */
export const DEFAULT_USER_V2: NetworkDef = { name: "user-v2", mode: "user-v2", gateway: "192.168.104.1", netmask: "255.255.255.0" };

const DEFAULT_NETMASK = "255.255.255.0";
const TOP_KEYS = ["paths", "group", "networks"];
// vdeSwitch and vdeVMNet: paths of Lima before 0.22, still in files it wrote then
const PATH_KEYS = ["socketVMNet", "varRun", "sudoers", "vdeSwitch", "vdeVMNet"];
const NETWORK_KEYS = ["mode", "gateway", "netmask", "dhcpEnd", "interface"];
const IDENTIFIER = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;

/** Lima's identifier rule (names, interfaces): letters and digits, single `.`, `_` or `-` between them, at most 76 characters. */
export function identifierProblem(s: string): string | undefined {
  if (s === "") return "must not be empty";
  if (s.length > 76) return "must be at most 76 characters";
  if (!IDENTIFIER.test(s)) return "must be letters and digits, with single '.', '_' or '-' between them";
  return undefined;
}

function fail(file: string, field: string, why: string, hint: string): TslimaError {
  return new TslimaError("NETWORKS_CONFIG", `${file}: ${field}: ${why}`, { hint });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Lima's subnet of a user-v2, shared or host network: its gateway's address and prefix length. */
export function subnetOf(def: NetworkDef): { addr: number; prefixLength: number } | undefined {
  const addr = def.gateway === undefined ? undefined : parseIPv4(def.gateway);
  const prefixLength = prefixOf(parseIPv4(def.netmask ?? DEFAULT_NETMASK) ?? -1);
  return addr === undefined || prefixLength === undefined ? undefined : { addr, prefixLength };
}

function checkNetwork(file: string, name: string, raw: unknown): NetworkDef {
  const field = (k?: string) => (k === undefined ? `networks.${name}` : `networks.${name}.${k}`);
  const hint = `edit ${file}; e.g. networks.${name}: {mode: user-v2, gateway: 192.168.42.1, netmask: 255.255.255.0}`;
  const bad = identifierProblem(name);
  if (bad) throw fail(file, field(), `the network name ${JSON.stringify(name)} ${bad}`, `rename it in ${file}`);
  if (!isMap(raw)) throw fail(file, field(), "must be a mapping of mode, gateway, netmask, dhcpEnd, interface", hint);
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!NETWORK_KEYS.includes(k)) throw fail(file, field(k), `unknown field (known: ${NETWORK_KEYS.join(", ")})`, `remove it from ${file}`);
    if (v === null || v === undefined || v === "") continue;
    if (typeof v !== "string") throw fail(file, field(k), `must be a string, got ${JSON.stringify(v)}`, hint);
    strings[k] = v;
  }
  const mode = strings.mode;
  if (mode === undefined || !(NETWORK_MODES as readonly string[]).includes(mode)) {
    throw fail(file, field("mode"), `must be one of ${NETWORK_MODES.join(", ")}, got ${JSON.stringify(mode ?? "")}`, hint);
  }
  const def: NetworkDef = { name, mode: mode as NetworkMode };
  for (const k of ["gateway", "dhcpEnd", "netmask", "interface"] as const) if (strings[k] !== undefined) def[k] = strings[k];
  for (const k of ["gateway", "dhcpEnd", "netmask"] as const) {
    const v = def[k];
    if (v !== undefined && parseIPv4(v) === undefined) throw fail(file, field(k), `${JSON.stringify(v)} is not an IPv4 address (a dotted quad such as 192.168.42.1)`, hint);
  }
  if (def.interface !== undefined) {
    const why = identifierProblem(def.interface);
    if (why) throw fail(file, field("interface"), `${JSON.stringify(def.interface)} ${why}`, hint);
  }
  if (def.netmask !== undefined) {
    const prefix = prefixOf(parseIPv4(def.netmask) as number);
    if (prefix === undefined || prefix < 8 || prefix > 30) {
      throw fail(file, field("netmask"), `${def.netmask} is not a netmask from /8 (255.0.0.0) to /30 (255.255.255.252)`, hint);
    }
  }
  const sub = subnetOf(def);
  if (sub !== undefined) {
    const where = `${def.gateway as string} with netmask ${def.netmask ?? DEFAULT_NETMASK}`;
    if (isLoopbackOrUnspecified(sub.addr)) throw fail(file, field("gateway"), `${def.gateway as string} is a loopback or unspecified address`, hint);
    if (sub.addr === networkOf(sub.addr, sub.prefixLength)) throw fail(file, field("gateway"), `${where} is the network's own address`, `use a host address, e.g. ${formatIPv4(sub.addr + 1)}`);
    if (sub.addr === broadcastOf(sub.addr, sub.prefixLength)) throw fail(file, field("gateway"), `${where} is the network's broadcast address`, `use a host address, e.g. ${formatIPv4(sub.addr - 1)}`);
    const end = def.dhcpEnd === undefined ? undefined : (parseIPv4(def.dhcpEnd) as number);
    if (end !== undefined && networkOf(end, sub.prefixLength) !== networkOf(sub.addr, sub.prefixLength)) {
      throw fail(file, field("dhcpEnd"), `${def.dhcpEnd as string} is outside the network of ${where}`, hint);
    }
  }
  return def;
}

function checkTop(file: string, doc: Record<string, unknown>): void {
  for (const k of Object.keys(doc)) if (!TOP_KEYS.includes(k)) throw fail(file, k, `unknown field (known: ${TOP_KEYS.join(", ")})`, `remove it from ${file}`);
  const paths = doc.paths;
  if (paths !== undefined && paths !== null) {
    if (!isMap(paths)) throw fail(file, "paths", "must be a mapping", `edit ${file}`);
    for (const [k, v] of Object.entries(paths)) {
      if (!PATH_KEYS.includes(k)) throw fail(file, `paths.${k}`, `unknown field (known: ${PATH_KEYS.join(", ")})`, `remove it from ${file}`);
      if (v !== null && typeof v !== "string") throw fail(file, `paths.${k}`, "must be a string", `edit ${file}`);
    }
  }
  const group = doc.group;
  if (group !== undefined && group !== null && group !== "") {
    const why = typeof group === "string" ? identifierProblem(group) : "must be a string";
    if (why) throw fail(file, "group", why, `edit ${file}`);
  }
}

/** Two user-v2 networks on overlapping subnets would route each other's guests to the wrong switch. */
function checkOverlaps(file: string, defs: NetworkDef[]): void {
  const userV2 = defs.filter((d) => d.mode === "user-v2").flatMap((d) => {
    const sub = subnetOf(d);
    return sub ? [{ d, sub }] : [];
  });
  userV2.forEach((a, i) => {
    for (const b of userV2.slice(i + 1)) {
      if (overlaps(a.sub, b.sub)) {
        throw fail(file, `networks.${b.d.name}.gateway`, `the subnet of ${b.d.name} (${b.d.gateway as string}/${b.sub.prefixLength}) overlaps that of ${a.d.name} (${a.d.gateway as string}/${a.sub.prefixLength})`, `give ${b.d.name} a subnet apart from ${a.d.name}'s: edit ${file}, or delete it (network delete --force ${b.d.name}) and create it with another --gateway`);
      }
    }
  });
}

/**
 * networks.yaml's text as a NetworksConfig: validated (names and interfaces are identifiers,
 * addresses dotted quads, netmasks contiguous /8../30, gateways host addresses, user-v2 subnets
 * apart), with Lima's `user-v2` network added when no user-v2 network has a gateway (as Lima does,
 * in memory only). Errors are NETWORKS_CONFIG naming `file` and the field.
 */
export function parseNetworks(text: string, file: string): NetworksConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  const err = doc.errors[0];
  if (err) throw fail(file, "(file)", `is not YAML: ${err.message}`, `fix ${file}, or delete it to get the default back`);
  const js: unknown = doc.toJS();
  if (js !== null && js !== undefined && !isMap(js)) throw fail(file, "(file)", "must be a mapping with paths, group and networks", `fix ${file}, or delete it to get the default back`);
  const top = js ?? {};
  checkTop(file, top);
  const raw = top.networks ?? {};
  if (!isMap(raw)) throw fail(file, "networks", "must be a mapping of network names", `edit ${file}`);
  const networks: Record<string, NetworkDef> = {};
  for (const [name, v] of Object.entries(raw)) networks[name] = checkNetwork(file, name, v);
  checkOverlaps(file, Object.values(networks));
  if (!Object.values(networks).some((d) => d.mode === "user-v2" && d.gateway !== undefined)) networks["user-v2"] = { ...DEFAULT_USER_V2 };
  return { file, networks };
}
