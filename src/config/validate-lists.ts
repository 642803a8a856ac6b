import { isIP } from "node:net";
import { isAbsolute, posix } from "node:path";
import type { Config, HostFacts } from "./types.js";
import { NOT_SUPPORTED, oneOf, validatePort, type Finding } from "./validate-common.js";
import { IDENTIFIER_RE } from "../store/identifiers.js";

export const PROVISION_MODES = ["system", "user", "boot", "dependency", "data", "yq", "ansible"];

/** provision[]: modes and which fields each mode allows (Lima's rules). */
export function validateProvision(config: Config, raw: Record<string, unknown>, out: Finding[]): void {
  const rawList = Array.isArray(raw.provision) ? (raw.provision as Array<Record<string, unknown> | null>) : [];
  config.provision.forEach((p, i) => {
    const r = rawList[i] ?? {};
    const at = (k: string) => ["provision", i, k];
    const isSet = (k: string) => r[k] !== undefined && r[k] !== null;
    if (!PROVISION_MODES.includes(p.mode)) {
      out.push({ path: at("mode"), message: `must be one of ${oneOf(PROVISION_MODES.filter((m) => m !== "ansible"))}, got "${p.mode}"` });
      return;
    }
    if (p.mode === "ansible") {
      out.push({ path: at("mode"), message: `provision mode "ansible" (deprecated in Lima) is ${NOT_SUPPORTED}; run ansible-playbook yourself` });
      return;
    }
    if (p.mode !== "dependency" && isSet("skipDefaultDependencyResolution")) {
      out.push({ path: at("skipDefaultDependencyResolution"), message: 'can only be set when mode is "dependency"' });
    }
    if (isSet("playbook")) out.push({ path: at("playbook"), message: 'can only be set when mode is "ansible"' });
    if (p.mode === "data") {
      if (!isSet("path")) out.push({ path: at("path"), message: 'must be set when mode is "data"' });
      else if (!posix.isAbsolute(p.path ?? "")) out.push({ path: at("path"), message: `must be an absolute guest path, got "${p.path}"` });
      if (!isSet("content")) out.push({ path: at("content"), message: 'must be set when mode is "data"' });
      if (!/^[0-7]{1,4}$/.test(p.permissions ?? "")) out.push({ path: at("permissions"), message: `must be an octal number such as 644, got "${p.permissions}"` });
      if (isSet("script")) out.push({ path: at("script"), message: 'must not be set when mode is "data" (use content)' });
      return;
    }
    if (p.mode === "yq") {
      if (!isSet("path")) out.push({ path: at("path"), message: 'must be set when mode is "yq"' });
      if (!isSet("expression")) out.push({ path: at("expression"), message: 'must be set when mode is "yq"' });
      if (!/^[0-7]{1,4}$/.test(p.permissions ?? "")) out.push({ path: at("permissions"), message: `must be an octal number such as 644, got "${p.permissions}"` });
      for (const k of ["content", "overwrite", "script"]) if (isSet(k)) out.push({ path: at(k), message: 'can not be set when mode is "yq"' });
      return;
    }
    if (!p.script || p.script.trim() === "") out.push({ path: at("script"), message: "must not be empty" });
    for (const k of ["content", "overwrite", "owner", "path", "permissions"]) {
      if (isSet(k)) out.push({ path: at(k), message: 'can only be set when mode is "data"' });
    }
  });
}

/** The first bad end of a port range, as one finding (a range [22, 22] is one problem, not two). */
function validateRange(path: Array<string | number>, range: [number, number], out: Finding[]): boolean {
  for (const j of [0, 1] as const) {
    const found: Finding[] = [];
    validatePort([...path, j], range[j], found);
    if (found[0]) {
      out.push(found[0]);
      return false;
    }
  }
  if (range[0] > range[1]) {
    out.push({ path: [...path, 1], message: `must be greater than or equal to ${String(path[path.length - 1])}[0]` });
    return false;
  }
  return true;
}

/**
 * portForwards[]: Lima's port/socket/range rules, plus valid IP addresses. Values that fillDefaults
 * derived from another field (hostPortRange from hostPort or guestPortRange, ...) are not checked
 * again, so each mistake is reported once, at the field the user wrote.
 */
export function validatePortForwards(config: Config, raw: Record<string, unknown>, host: HostFacts, out: Finding[]): void {
  const unixPathMax = host.os === "Darwin" ? 104 : 108;
  const rawList = Array.isArray(raw.portForwards) ? (raw.portForwards as Array<Record<string, unknown> | null>) : [];
  config.portForwards.forEach((r, i) => {
    const rawRule = rawList[i] ?? {};
    const rangeSet = (k: string) => Array.isArray(rawRule[k]) && (rawRule[k] as unknown[]).some((v) => v !== 0 && v !== null);
    const at = (k: string | number, ...more: Array<string | number>) => ["portForwards", i, k, ...more];
    const add = (path: Array<string | number>, message: string) => out.push({ path, message });
    if (isIP(r.guestIP) === 0) add(at("guestIP"), `must be an IP address, got "${r.guestIP}"`);
    if (isIP(r.hostIP) === 0) add(at("hostIP"), `must be an IP address, got "${r.hostIP}"`);
    if (r.guestIPMustBeZero && r.guestIP !== "0.0.0.0") add(at("guestIPMustBeZero"), "can only be true when guestIP is 0.0.0.0");
    let portsOk = true;
    for (const side of ["guest", "host"] as const) {
      const port = r[`${side}Port`];
      if (port === 0) continue;
      const before = out.length;
      if (r[`${side}Socket`] !== "") add(at(`${side}Port`), `must not be set together with ${side}Socket`);
      else if (port !== r[`${side}PortRange`][0]) add(at(`${side}Port`), `must match ${side}PortRange[0]`);
      else validatePort(at(`${side}Port`), port, out);
      portsOk &&= out.length === before;
    }
    if (rangeSet("guestPortRange")) portsOk = validateRange(at("guestPortRange"), r.guestPortRange, out) && portsOk;
    if (rangeSet("hostPortRange")) portsOk = validateRange(at("hostPortRange"), r.hostPortRange, out) && portsOk;
    const bothPorts = r.guestSocket === "" && r.hostSocket === "";
    if (portsOk && bothPorts && r.guestPortRange[1] - r.guestPortRange[0] !== r.hostPortRange[1] - r.hostPortRange[0]) {
      add(at("hostPortRange"), "must specify the same number of ports as guestPortRange");
    }
    if (r.guestSocket !== "") {
      if (!posix.isAbsolute(r.guestSocket)) add(at("guestSocket"), `must be an absolute path, got "${r.guestSocket}"`);
      if (r.hostSocket === "" && r.hostPortRange[1] - r.hostPortRange[0] > 0) add(at("guestSocket"), "can only be mapped to a single port or socket, not a range");
    }
    if (r.hostSocket !== "") {
      if (!isAbsolute(r.hostSocket)) add(at("hostSocket"), `must be an absolute path, or a relative one that stays under <instance>/sock/, got "${r.hostSocket}"`);
      if (r.guestSocket === "" && r.guestPortRange[1] - r.guestPortRange[0] > 0) add(at("hostSocket"), "can only be mapped from a single port or socket, not a range");
      if (r.hostSocket.length >= unixPathMax) add(at("hostSocket"), `must be shorter than ${unixPathMax} characters (UNIX_PATH_MAX), is ${r.hostSocket.length}: "${r.hostSocket}"`);
    }
    if (!["tcp", "udp", "any"].includes(r.proto)) add(at("proto"), `must be one of "tcp", "udp", "any", got "${r.proto}"`);
    if (r.reverse && (r.guestSocket === "" || r.hostSocket === "")) add(at("reverse"), "can only be true when both guestSocket and hostSocket are set");
  });
}

/**
 * networks[]: Lima's rules (one of lima, socket, vzNAT; interface and MAC). Whether a `lima:` name is
 * in networks.yaml (host state) is checked when the instance starts (network/config.ts userV2Network).
 */
export function validateNetworks(config: Config, out: Finding[]): void {
  const seen = new Map<string, number>();
  config.networks.forEach((n, i) => {
    const at = (k: string) => ["networks", i, k];
    if (n.lima) {
      if (n.vzNAT) out.push({ path: at("vzNAT"), message: "lima and vzNAT are mutually exclusive" });
    } else if (n.vzNAT) out.push({ path: at("vzNAT"), message: 'requires vmType "vz", which is ' + NOT_SUPPORTED });
    else if (!n.socket) out.push({ path: ["networks", i], message: "one of lima, socket or vzNAT must be set" });
    if (n.lima && n.socket) out.push({ path: at("socket"), message: "lima and socket are mutually exclusive" });
    if (n.macAddress && !/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(n.macAddress)) {
      out.push({ path: at("macAddress"), message: `must be a 48-bit MAC address such as 52:55:55:12:34:56, got "${n.macAddress}"` });
    }
    const iface = n.interface ?? "";
    if (Buffer.byteLength(iface) >= 16) out.push({ path: at("interface"), message: `must be shorter than 16 bytes, got "${iface}"` });
    if (/[\s/]/.test(iface)) out.push({ path: at("interface"), message: "must not contain whitespace or slashes" });
    if (iface === "eth0") out.push({ path: at("interface"), message: 'must not be "eth0" (reserved for the user-mode network)' });
    const prev = seen.get(iface);
    if (prev !== undefined) out.push({ path: at("interface"), message: `"${iface}" is already used by networks[${prev}].interface` });
    seen.set(iface, i);
  });
}

/**
 * additionalDisks[] (Lima's rules): a disk name, or {name, format, fsType, fsArgs}; names follow the
 * identifier rule and appear once; fsType names a mkfs.TYPE program (default ext4).
 */
export function validateAdditionalDisks(disks: unknown, out: Finding[]): void {
  if (disks === undefined || disks === null) return;
  if (!Array.isArray(disks)) {
    out.push({ path: ["additionalDisks"], message: "must be a list of disk names or {name, format, fsType, fsArgs} maps" });
    return;
  }
  const seen = new Set<string>();
  disks.forEach((d, i) => {
    const item = typeof d === "string" ? { name: d } : (d as Record<string, unknown> | null);
    const at = typeof d === "string" ? ["additionalDisks", i] : ["additionalDisks", i, "name"];
    const name = item?.name;
    if (typeof name !== "string" || !IDENTIFIER_RE.test(name)) {
      out.push({ path: at, message: `must be a disk name (letters and digits, separated by single ".", "_" or "-"), got ${JSON.stringify(name ?? d)}; create one with: limactl disk create NAME --size SIZE` });
      return;
    }
    if (seen.has(name)) out.push({ path: at, message: `disk "${name}" is listed twice` });
    seen.add(name);
    const fsType = item?.fsType;
    if (fsType !== undefined && fsType !== null && (typeof fsType !== "string" || !/^[a-z0-9]+$/.test(fsType))) {
      out.push({ path: ["additionalDisks", i, "fsType"], message: `must name a file system type such as "ext4" or "xfs", got ${JSON.stringify(fsType)}` });
    }
  });
}
