import { isAbsolute, resolve } from "node:path";
import { homedir } from "node:os";
import { isIP } from "node:net";
import { parse } from "yaml";
import { TslimaError } from "../errors.js";
import { trySize } from "../config/sizes.js";

/** The command-line overrides of `create`/`start`, as Lima's flags. */
export interface Overrides {
  cpus?: number;
  /** GiB as a number ("4", "1.5") or a size ("1GiB"). */
  memory?: string;
  disk?: string;
  /** DIR or DIR:w. */
  mounts?: string[];
  mountType?: string;
  /** DIR[:w] that replace the template's mounts (Lima's --mount-only). */
  mountOnly?: string[];
  /** Drop every mount (--mount-none). */
  mountNone?: boolean;
  /** Make every mount writable (--mount-writable). */
  mountWritable?: boolean;
  /** --mount-inotify: sets mountInotify. */
  mountInotify?: boolean;
  /** NAME=VALUE template parameters (--param); the template must define NAME. */
  params?: string[];
  /** HOST:GUEST[,static=BOOL] (--port-forward), appended to portForwards. */
  portForwards?: string[];
  /** --plain: no mounts, port forwards or containerd (sets `plain`). */
  plain?: boolean;
  /** DNS server addresses (--dns), appended to `dns`. */
  dns?: string[];
  arch?: string;
  vmType?: string;
  sshPort?: number;
  /** --network: refused (tslima attaches QEMU's user-mode network only). */
  networks?: string[];
  /** --containerd user|system|user+system|none: only none is possible. */
  containerd?: string;
  /** Raw KEY=VALUE expressions passed to applySets. */
  sets?: string[];
}

const ARCHES = ["x86_64", "aarch64", "riscv64", "armv7l", "s390x", "ppc64le"];

function flagError(flag: string, why: string, hint: string): TslimaError {
  return new TslimaError("INVALID_FLAG", `${flag}: ${why}`, { hint });
}

/** Parses `--port-forward HOST:GUEST[,static=BOOL]` (Lima's form) into a portForwards entry. Pure. */
export function parsePortForwardFlag(spec: string): { guestPort: number; hostPort: number; static?: boolean } {
  const hint = "use --port-forward HOST:GUEST, e.g. --port-forward 8080:80 or 8080:80,static=true";
  const [ports = "", extra, ...more] = spec.split(",");
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(ports);
  if (!m || more.length > 0) throw flagError("--port-forward", `${JSON.stringify(spec)} is not HOST:GUEST`, hint);
  const [hostPort, guestPort] = [Number(m[1]), Number(m[2])];
  for (const p of [hostPort, guestPort]) if (p < 1 || p > 65535) throw flagError("--port-forward", `${p} is not a TCP port (1-65535)`, hint);
  if (extra === undefined) return { guestPort, hostPort };
  const s = /^\s*static=(true|false)\s*$/.exec(extra);
  if (!s) throw flagError("--port-forward", `${JSON.stringify(extra.trim())} is not static=true|false`, hint);
  return s[1] === "true" ? { guestPort, hostPort, static: true } : { guestPort, hostPort };
}

/** The template's top-level list `key` length and `param` names (0 and none when it does not parse). */
function templateFacts(yamlText: string): { length: (key: string) => number; params: string[] } {
  let doc: Record<string, unknown> = {};
  try {
    const d = parse(yamlText) as unknown;
    if (d && typeof d === "object" && !Array.isArray(d)) doc = d as Record<string, unknown>;
  } catch {
    // the loader reports YAML errors with positions
  }
  const param = doc.param;
  return {
    length: (key) => (Array.isArray(doc[key]) ? doc[key].length : 0),
    params: param && typeof param === "object" ? Object.keys(param) : [],
  };
}

/** The flags tslima cannot honour: refused before anything is written. */
function refuseUnsupported(o: Overrides): void {
  if (o.vmType !== undefined && o.vmType !== "qemu") {
    throw flagError("--vm-type", `${JSON.stringify(o.vmType)} is not supported: tslima runs QEMU only`, "leave --vm-type out, or use --vm-type qemu");
  }
  if (o.networks && o.networks.length > 0) {
    throw flagError("--network", `${o.networks.join(", ")}: tslima attaches only QEMU's user-mode network (no vmnet, socket_vmnet or vzNAT)`, "leave --network out; reach guest services with port forwards (--port-forward HOST:GUEST)");
  }
  if (o.containerd !== undefined && o.containerd !== "none") {
    if (!["user", "system", "user+system", "system+user"].includes(o.containerd)) {
      throw flagError("--containerd", `expected one of user, system, user+system, none, got ${JSON.stringify(o.containerd)}`, "use --containerd none");
    }
    throw flagError("--containerd", `${o.containerd}: tslima does not install containerd/nerdctl`, "use --containerd none, and install a container engine with a provision script (see template:docker)");
  }
  if (o.arch !== undefined && !ARCHES.includes(o.arch)) {
    throw flagError("--arch", `${JSON.stringify(o.arch)} is not an architecture`, `use one of ${ARCHES.join(", ")}`);
  }
  if (o.mountNone && ((o.mounts?.length ?? 0) > 0 || (o.mountOnly?.length ?? 0) > 0)) {
    throw flagError("--mount-none", `conflicts with ${(o.mounts?.length ?? 0) > 0 ? "--mount" : "--mount-only"}`, "use one of --mount, --mount-only, --mount-none");
  }
  if ((o.mounts?.length ?? 0) > 0 && (o.mountOnly?.length ?? 0) > 0) {
    throw flagError("--mount", "conflicts with --mount-only", "use --mount to add to the template's mounts, or --mount-only to replace them");
  }
  if (o.sshPort !== undefined && (!Number.isInteger(o.sshPort) || o.sshPort < 0 || o.sshPort > 65535)) {
    throw flagError("--ssh-port", `${o.sshPort} is not a TCP port`, "use 0 (any free port) or a port 1-65535");
  }
}

function size(flag: string, v: string): string {
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return `${t}GiB`;
  if (trySize(t) !== undefined) return t;
  throw new TslimaError("INVALID_FLAG", `${flag} ${JSON.stringify(v)} is not a size`, { hint: `use e.g. ${flag} 4 (GiB) or ${flag} 512MiB` });
}

function expandHome(p: string): string {
  return p === "~" ? homedir() : p.startsWith("~/") ? resolve(homedir(), p.slice(2)) : p;
}

/** Parses `--mount DIR[:w]` into an absolute location and writability. Pure apart from cwd/home. */
export function parseMountFlag(spec: string, cwd: string): { location: string; writable: boolean } {
  let dir = spec;
  let writable = false;
  if (spec.endsWith(":w")) {
    dir = spec.slice(0, -2);
    writable = true;
  } else if (spec.endsWith(":ro")) {
    dir = spec.slice(0, -3);
  }
  if (dir === "") throw new TslimaError("INVALID_FLAG", `--mount ${JSON.stringify(spec)} has no directory`, { hint: "use --mount DIR or --mount DIR:w" });
  dir = expandHome(dir);
  return { location: isAbsolute(dir) ? dir : resolve(cwd, dir), writable };
}

/**
 * Turns flags into applySets expressions, in Lima's `.path=value` form with JSON values.
 * `yamlText` is the template, to append mounts after the ones it has. Pure.
 */
export function overridesToSets(o: Overrides, yamlText: string, cwd: string): string[] {
  const sets: string[] = [];
  if (o.cpus !== undefined) {
    if (!Number.isInteger(o.cpus) || o.cpus < 1) throw new TslimaError("INVALID_FLAG", `--cpus ${o.cpus} is not a positive integer`, { hint: "use e.g. --cpus 2" });
    sets.push(`.cpus=${o.cpus}`);
  }
  if (o.memory !== undefined) sets.push(`.memory=${JSON.stringify(size("--memory", o.memory))}`);
  if (o.disk !== undefined) sets.push(`.disk=${JSON.stringify(size("--disk", o.disk))}`);
  refuseUnsupported(o);
  const facts = templateFacts(yamlText);
  if (o.mountType !== undefined) sets.push(`.mountType=${JSON.stringify(o.mountType)}`);
  const asMount = (spec: string) => {
    const m = parseMountFlag(spec, cwd);
    return { location: m.location, writable: m.writable || o.mountWritable === true };
  };
  const mounts = facts.length("mounts");
  if (o.mountNone || (o.mountOnly && o.mountOnly.length > 0)) {
    sets.push(`.mounts=${JSON.stringify((o.mountOnly ?? []).map(asMount))}`);
  } else {
    if (o.mountWritable) for (let i = 0; i < mounts; i++) sets.push(`.mounts[${i}].writable=true`);
    (o.mounts ?? []).forEach((spec, i) => sets.push(`.mounts[${mounts + i}]=${JSON.stringify(asMount(spec))}`));
  }
  if (o.mountInotify) sets.push(".mountInotify=true");
  for (const p of o.params ?? []) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw flagError("--param", `${JSON.stringify(p)} is not NAME=VALUE`, "use e.g. --param VERSION=1.2");
    const key = p.slice(0, eq);
    if (!facts.params.includes(key)) {
      throw flagError("--param", `the template does not define param ${JSON.stringify(key)}`, facts.params.length > 0 ? `its params: ${facts.params.join(", ")}` : "the template has no param: section");
    }
    sets.push(`.param[${JSON.stringify(key)}]=${JSON.stringify(p.slice(eq + 1))}`);
  }
  const forwards = (o.portForwards ?? []).map(parsePortForwardFlag);
  if (forwards.length > 0) sets.push(`.portForwards += ${JSON.stringify(forwards)}`);
  if (o.dns && o.dns.length > 0) {
    for (const ip of o.dns) if (isIP(ip) === 0) throw flagError("--dns", `${JSON.stringify(ip)} is not an IP address`, "use e.g. --dns 1.1.1.1");
    sets.push(`.dns += ${JSON.stringify(o.dns)}`, ".hostResolver.enabled=false");
  }
  if (o.plain) sets.push(".plain=true");
  if (o.arch !== undefined) sets.push(`.arch=${JSON.stringify(o.arch)}`);
  if (o.vmType !== undefined) sets.push(`.vmType=${JSON.stringify(o.vmType)}`);
  if (o.sshPort !== undefined) sets.push(`.ssh.localPort=${o.sshPort}`);
  if (o.containerd === "none") sets.push(".containerd.system=false", ".containerd.user=false");
  return [...sets, ...(o.sets ?? [])];
}
