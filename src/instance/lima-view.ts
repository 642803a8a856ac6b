import { stringify } from "yaml";
import { executeTemplate, checkTemplate, TemplateExecError, TemplateSyntaxError, type TemplateFuncs } from "../lang/gotemplate.js";
import { TslimaError } from "../errors.js";
import type { Network } from "../config/types.js";
import { networkMac } from "../qemu/options.js";
import type { InstanceInfo } from "./inventory.js";

/**
 * How `list --json|yaml|TEMPLATE` shows an instance: Lima's `limactl list` record (pkg/limatype
 * Instance plus store.FormatData's host fields), with Lima's JSON names, types and omitempty rules,
 * so tools written for `limactl list --json` read tslima's output unchanged. Pure.
 */

/** The host facts FormatData adds to every instance (deprecated in Lima, still printed). */
export interface ListHost {
  hostOS: string;
  hostArch: string;
  home: string;
  identityFile: string;
}

/** Lima's Go field names (what `--format '{{.Name}}'` uses) and their JSON keys, in struct order. */
const FIELDS: Array<[goName: string, jsonKey: string]> = [
  ["Name", "name"],
  ["Hostname", "hostname"],
  ["Status", "status"],
  ["Dir", "dir"],
  ["VMType", "vmType"],
  ["Arch", "arch"],
  ["CPUs", "cpus"],
  ["Memory", "memory"],
  ["Disk", "disk"],
  ["Message", "message"],
  ["AdditionalDisks", "additionalDisks"],
  ["Networks", "network"],
  ["SSHLocalPort", "sshLocalPort"],
  ["SSHConfigFile", "sshConfigFile"],
  ["HostAgentPID", "hostAgentPID"],
  ["DriverPID", "driverPID"],
  ["Errors", "errors"],
  ["Config", "config"],
  ["SSHAddress", "sshAddress"],
  ["Protected", "protected"],
  ["LimaVersion", "limaVersion"],
  ["Param", "param"],
  ["AutoStartedIdentifier", "autoStartedIdentifier"],
];

/** What `list --list-fields` prints: the Go field names a --format template may use, sorted as Lima does. */
export const LIST_FIELDS: string[] = FIELDS.map(([g]) => g).sort();

function empty(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

/** Fields Lima prints even when empty (no omitempty in pkg/limatype). */
const ALWAYS = new Set(["name", "hostname", "status", "dir", "vmType", "arch", "protected", "limaVersion"]);

/**
 * A networks[] entry as Lima lists it: its keys in Lima's order, the MAC address filled as the NIC
 * gets it (QEMU's, qemu/options.ts networkMac) when lima.yaml sets none.
 */
export function limaNetwork(instance: string, n: Network, idx: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (n.lima !== undefined) out.lima = n.lima;
  if (n.socket !== undefined) out.socket = n.socket;
  if (n.vzNAT !== undefined) out.vzNAT = n.vzNAT;
  out.macAddress = n.macAddress ?? networkMac(instance, idx);
  if (n.interface !== undefined) out.interface = n.interface;
  if (n.metric !== undefined) out.metric = n.metric;
  return out;
}

/** One instance as Lima's `list --json` prints it (JSON keys in Lima's order). Pure. */
export function limaInstanceJson(i: InstanceInfo, host: ListHost): Record<string, unknown> {
  const c = i.config;
  const networks = (c?.networks ?? []).map((n, idx) => limaNetwork(i.name, n, idx));
  const all: Record<string, unknown> = {
    name: i.name,
    hostname: c ? i.hostname : "",
    status: i.status,
    dir: i.dir,
    vmType: c ? i.vmType : "",
    arch: i.arch === "?" ? "" : i.arch,
    cpus: i.cpus,
    memory: i.memory,
    disk: i.disk,
    message: c?.message ?? "",
    additionalDisks: [],
    network: networks,
    sshLocalPort: i.sshLocalPort,
    sshConfigFile: c ? i.sshConfigFile : "",
    hostAgentPID: i.hostAgentPID ?? 0,
    driverPID: i.driverPID ?? 0,
    errors: i.errors,
    config: c && { ...c, networks },
    sshAddress: c ? "127.0.0.1" : "",
    protected: i.protected,
    limaVersion: "",
    param: c?.param ?? {},
    autoStartedIdentifier: i.autoStartedIdentifier ?? "",
  };
  const out: Record<string, unknown> = {};
  for (const [, key] of FIELDS) if (ALWAYS.has(key) || !empty(all[key])) out[key] = all[key];
  out.HostOS = host.hostOS;
  out.HostArch = host.hostArch;
  out.LimaHome = host.home;
  out.IdentityFile = host.identityFile;
  return out;
}

/** The data a `--format` template sees: Lima's Go field names (`{{.CPUs}}`, `{{.SSHLocalPort}}`). Pure. */
export function limaTemplateData(i: InstanceInfo, host: ListHost): Record<string, unknown> {
  const json = limaInstanceJson(i, host);
  const data: Record<string, unknown> = {};
  for (const [g, key] of FIELDS) data[g] = Object.hasOwn(json, key) ? json[key] : zeroOf(key);
  data.HostOS = host.hostOS;
  data.HostArch = host.hostArch;
  data.LimaHome = host.home;
  data.IdentityFile = host.identityFile;
  return data;
}

/** Go's zero value for a field left out of the JSON (what the template prints for it). */
function zeroOf(key: string): unknown {
  if (["cpus", "memory", "disk", "sshLocalPort", "hostAgentPID", "driverPID"].includes(key)) return 0;
  if (["additionalDisks", "network", "errors"].includes(key)) return [];
  if (key === "config" || key === "param") return undefined;
  return "";
}

/**
 * Bytes as Lima's table prints them (go-units BytesSize: binary units, 4 significant digits, no
 * trailing zeros): 4294967296 → "4GiB", 1610612736 → "1.5GiB", 0 → "0B". Pure.
 */
export function bytesSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number(v.toPrecision(4))}${units[u]}`;
}

/**
 * A `--format` template run over the instances, Lima's way: one output per instance, each followed
 * by a newline. Functions: json, yaml, and the
 * template subset of lang/gotemplate.ts. `\t`/`\n` typed in the flag are tabs and newlines.
 */
export function renderInstances(format: string, list: InstanceInfo[], host: ListHost): string {
  const text = format.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  let out = "";
  for (const i of list) {
    const data = limaTemplateData(i, host);
    const whole = limaInstanceJson(i, host);
    // `.` is the instance: as JSON/YAML it is Lima's record, not the Go-named template view.
    const asRecord = (v: unknown) => (v === data ? whole : v);
    const funcs: TemplateFuncs = {
      json: (v) => JSON.stringify(asRecord(v) ?? null),
      yaml: (v) => `---\n${stringify(asRecord(v) ?? null, { lineWidth: 0 }).replace(/\n$/, "")}`,
    };
    try {
      out += `${executeTemplate(text, data, funcs, "*store.FormatData")}\n`;
    } catch (e) {
      if (!(e instanceof TemplateExecError)) throw e;
      throw new TslimaError("INVALID_FORMAT", `--format ${JSON.stringify(format)}: ${e.message}`, { hint: "run `limactl list --list-fields` for the fields a template may use" });
    }
  }
  return out;
}

/** Refuses a --format template this subset cannot run, before any instance is inspected. Pure. */
export function checkListFormat(format: string): void {
  try {
    checkTemplate(format, { json: () => "", yaml: () => "" });
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    throw new TslimaError("INVALID_FORMAT", `--format ${JSON.stringify(format)}: ${e.message}`, {
      hint: `use json, yaml, table, or a template such as '{{.Name}} {{.Status}}' (fields: tslima list --list-fields; functions: json, yaml, eq, ne, not, and, or, if/else/end)`,
    });
  }
}
