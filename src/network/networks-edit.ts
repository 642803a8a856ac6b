/**
 * `network create` and `network delete` as edits of networks.yaml's text through the YAML document,
 * so that a user's comments, order and other keys stay. Lima's rules and error texts for create. Pure.
 */
import { parseDocument, isMap } from "yaml";
import { TslimaError } from "../errors.js";
import { formatIPv4, isLoopbackOrUnspecified, maskOf, parseIPv4 } from "./ipv4.js";
import { NETWORK_MODES, type NetworkDef, type NetworkMode } from "./networks-yaml.js";

/** What `network create NAME` is given (its flags). */
export interface NetworkCreateOptions {
  /** Default user-v2. */
  mode?: string;
  /** user-v2, shared, host: the gateway as ADDRESS[/PREFIX], the prefix /24 by default. */
  gateway?: string;
  /** bridged: the host's interface. */
  interface?: string;
}

function invalid(message: string, hint: string): TslimaError {
  return new TslimaError("NETWORK_INVALID", message, { hint });
}

/** The network `network create NAME` adds, by Lima's rules: a gateway for every mode but bridged, an interface for bridged only. */
export function networkToCreate(name: string, o: NetworkCreateOptions): NetworkDef {
  const mode = o.mode ?? "user-v2";
  const gateway = o.gateway ?? "";
  const intf = o.interface ?? "";
  const example = `e.g. network create ${name} --gateway 192.168.42.1/24`;
  if (!(NETWORK_MODES as readonly string[]).includes(mode)) throw invalid(`network mode ${JSON.stringify(mode)} is not one of ${NETWORK_MODES.join(", ")}`, `use --mode user-v2 (the one tslima runs)`);
  if (mode === "bridged") {
    if (gateway !== "") throw invalid(`network mode \`${mode}\` does not support specifying gateway`, "leave --gateway out: the outside network's DHCP serves a bridged network");
    if (intf === "") throw invalid(`network mode \`${mode}\` requires specifying interface`, `name the host's interface: network create ${name} --mode bridged --interface en0`);
    return { name, mode, interface: intf };
  }
  if (gateway === "") throw invalid(`network mode \`${mode}\` requires specifying gateway`, example);
  if (intf !== "") throw invalid(`network mode \`${mode}\` does not support specifying interface`, `leave --interface out (bridged networks only); ${example}`);
  const cidr = gateway.includes("/") ? gateway : `${gateway}/24`;
  const [ip = "", prefix = ""] = cidr.split("/", 2);
  const addr = parseIPv4(ip);
  const prefixLength = /^(0|[1-9]\d?)$/.test(prefix) ? Number(prefix) : NaN;
  if (addr === undefined || !(prefixLength <= 32) || cidr.split("/").length !== 2) {
    throw invalid(`failed to parse CIDR \`${cidr}\`: invalid CIDR address: ${cidr}`, `give --gateway as ADDRESS/PREFIX, ${example}`);
  }
  if (isLoopbackOrUnspecified(addr)) throw invalid(`invalid IP address: ${ip}`, `use a private address, ${example}`);
  return { name, mode: mode as NetworkMode, gateway: ip, netmask: formatIPv4(maskOf(prefixLength)) };
}

/** networks.yaml's text with `def` added under networks: (keys in Lima's order). */
export function addNetworkText(text: string, def: NetworkDef): string {
  const doc = parseDocument(text);
  const entry: Record<string, string> = { mode: def.mode };
  if (def.gateway !== undefined) entry.gateway = def.gateway;
  if (def.netmask !== undefined) entry.netmask = def.netmask;
  if (def.interface !== undefined) entry.interface = def.interface;
  if (!isMap(doc.get("networks"))) doc.set("networks", doc.createNode({}));
  doc.setIn(["networks", def.name], doc.createNode(entry));
  return doc.toString();
}

/** networks.yaml's text without the networks `names`. */
export function removeNetworksText(text: string, names: string[]): string {
  const doc = parseDocument(text);
  for (const n of names) doc.deleteIn(["networks", n]);
  return doc.toString();
}
