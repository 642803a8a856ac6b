// Lima's create/start/edit flags translated into the library's typed request (CreateRequest):
// mounts and port forwards as objects, sizes as strings; errors name the flag.
import { isAbsolute, resolve } from "node:path";
import { homedir } from "node:os";
import { TslimaError } from "../errors.js";
import type { CreateRequest, MountInput, OverrideNames, PortForwardInput } from "../internal.js";

/** The flags `create`, `start` and `edit` share (Lima's), as commander parses them (src/cli/create.ts). */
export interface CreateFlags {
  name?: string;
  cpus?: number;
  memory?: string;
  disk?: string;
  mount?: string[];
  mountType?: string;
  mountOnly?: string[];
  mountNone?: boolean;
  mountWritable?: boolean;
  mountInotify?: boolean;
  param?: string[];
  portForward?: string[];
  plain?: boolean;
  dns?: string[];
  arch?: string;
  vmType?: string;
  sshPort?: number;
  network?: string[];
  containerd?: string;
  set?: string[];
  video?: boolean;
  nestedVirt?: boolean;
  audioDevice?: string;
  audioInterface?: string;
  imageVariant?: string;
  archVariant?: string;
  shell?: string;
  listTemplates?: boolean;
  listDrivers?: boolean;
}

function flagError(flag: string, why: string, hint: string): TslimaError {
  return new TslimaError("INVALID_FLAG", `${flag}: ${why}`, { hint });
}

/** The flag each override comes from, for the library's errors about a value (INVALID_FLAG). */
const FLAG_OF: Record<string, string> = {
  cpus: "--cpus",
  memory: "--memory",
  disk: "--disk",
  arch: "--arch",
  vmType: "--vm-type",
  mountType: "--mount-type",
  mounts: "--mount",
  mountWritable: "--mount-writable",
  mountInotify: "--mount-inotify",
  portForwards: "--port-forward",
  dns: "--dns",
  param: "--param",
  plain: "--plain",
  sshPort: "--ssh-port",
  containerd: "--containerd",
  replaceMounts: "--mount-only",
  sets: "--set",
};

/**
 * Lima's flags that set one field each, as the yq expressions Lima's own editflags applies (before
 * --set's): the fields are then read, validated, honoured or warned about like any in lima.yaml.
 */
export function fieldFlagExpressions(f: CreateFlags): string[] {
  const q = (s: string) => JSON.stringify(s);
  const nonEmpty = (flag: string, v: string) => {
    if (v === "") throw flagError(flag, "must not be empty", `give a value, e.g. ${flag} ${flag === "--arch-variant" ? "v3" : "NAME"}`);
    return v;
  };
  const out: string[] = [];
  if (f.nestedVirt === true) out.push(".nestedVirtualization = true");
  if (f.video === true) out.push('.video.display = "default"');
  if (f.audioDevice !== undefined) out.push(`.audio.device = ${q(f.audioDevice)}`);
  if (f.audioInterface !== undefined) out.push(`.audio.interface = ${q(f.audioInterface)}`);
  if (f.imageVariant !== undefined) out.push(`.images = [.images[] | select(.variant == ${q(nonEmpty("--image-variant", f.imageVariant))})]`);
  if (f.archVariant !== undefined) out.push(`.images = [.images[] | select(.archVariant == ${q(nonEmpty("--arch-variant", f.archVariant))})]`);
  if (f.shell !== undefined) out.push(`.user.shell = ${q(f.shell)}`);
  if (f.network && f.network.length > 0) out.push(networkFlagExpression(f.network));
  return out;
}

/**
 * Lima's --network: `lima:NAME` adds {lima: NAME} to networks (a network of networks.yaml), `vzNAT`
 * adds {vzNAT: true} (refused later, as in lima.yaml); then one entry per lima name, as Lima does.
 */
export function networkFlagExpression(specs: string[]): string {
  const items = specs.map((s) => {
    if (s === "vzNAT") return '{"vzNAT": true}';
    if (s.startsWith("lima:")) return `{"lima": ${JSON.stringify(s.slice("lima:".length))}}`;
    throw flagError("--network", `network name must be \`vzNAT\` or \`lima:*\`, got ${JSON.stringify(s)}`, "use --network lima:NAME with a network of `tslima network list`, e.g. --network lima:user-v2");
  });
  return `.networks += [${items.join(",")}] | .networks |= unique_by(.lima)`;
}

/** The flag a field of the request comes from. */
export function flagOf(key: string): string {
  return FLAG_OF[key] ?? key;
}

export const FLAG_NAMES: OverrideNames = { code: "INVALID_FLAG", name: (p) => flagOf(String(p[0])) };

/** Parses `--port-forward HOST:GUEST[,static=BOOL]` (Lima's form) into a port forward. Pure. */
export function parsePortForwardFlag(spec: string): PortForwardInput {
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

function expandHome(p: string): string {
  return p === "~" ? homedir() : p.startsWith("~/") ? resolve(homedir(), p.slice(2)) : p;
}

/** Parses `--mount DIR[:w]` into a mount with an absolute location. Pure apart from cwd/home. */
export function parseMountFlag(spec: string, cwd: string): MountInput & { writable: boolean } {
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

/** `--memory 4` is 4 GiB, `--memory 512MiB` a size. */
function size(flag: string, v: string, isSize: (s: string) => boolean): string {
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return `${t}GiB`;
  if (isSize(t)) return t;
  throw new TslimaError("INVALID_FLAG", `${flag} ${JSON.stringify(v)} is not a size`, { hint: `use e.g. ${flag} 4 (GiB) or ${flag} 512MiB` });
}

/** limactl's --containerd values. */
const CONTAINERD_MODES = ["none", "user", "system", "user+system", "system+user"];

/** The flags tslima cannot honour, and flags that conflict: refused before anything is written. */
function refuseUnsupported(f: CreateFlags): void {
  if (f.vmType !== undefined && f.vmType !== "qemu") {
    throw flagError("--vm-type", `${JSON.stringify(f.vmType)} is not supported: tslima runs QEMU only`, "leave --vm-type out, or use --vm-type qemu");
  }
  if (f.containerd !== undefined && !CONTAINERD_MODES.includes(f.containerd)) {
    throw flagError("--containerd", `expected one of ${CONTAINERD_MODES.join(", ")}, got ${JSON.stringify(f.containerd)}`, "use --containerd none, user, system or user+system");
  }
  const mounts = (f.mount?.length ?? 0) > 0;
  const only = (f.mountOnly?.length ?? 0) > 0;
  if (f.mountNone && (mounts || only)) throw flagError("--mount-none", `conflicts with ${mounts ? "--mount" : "--mount-only"}`, "use one of --mount, --mount-only, --mount-none");
  if (mounts && only) throw flagError("--mount", "conflicts with --mount-only", "use --mount to add to the template's mounts, or --mount-only to replace them");
}

/** `--param NAME=VALUE`s as a map. */
function params(specs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of specs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw flagError("--param", `${JSON.stringify(p)} is not NAME=VALUE`, "use e.g. --param VERSION=1.2");
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/**
 * The create/start/edit flags as the library's request: typed overrides, --set expressions (applied
 * after them) and FLAG_NAMES, so errors about values name the flag. `isSize` is the library's size
 * reader (config/sizes.ts trySize). Pure apart from cwd/home.
 */
export function requestFrom(f: CreateFlags, cwd: string, isSize: (s: string) => boolean): CreateRequest {
  refuseUnsupported(f);
  const mountSpecs = f.mountOnly ?? f.mount ?? [];
  const r: CreateRequest = { names: FLAG_NAMES };
  if (f.name !== undefined) r.name = f.name;
  if (f.cpus !== undefined) r.cpus = f.cpus;
  if (f.memory !== undefined) r.memory = size("--memory", f.memory, isSize);
  if (f.disk !== undefined) r.disk = size("--disk", f.disk, isSize);
  if (f.arch !== undefined) r.arch = f.arch as CreateRequest["arch"];
  if (f.vmType !== undefined) r.vmType = "qemu";
  if (f.mountType !== undefined) r.mountType = f.mountType as CreateRequest["mountType"];
  if (mountSpecs.length > 0) r.mounts = mountSpecs.map((s) => parseMountFlag(s, cwd));
  if (f.mountNone === true || f.mountOnly !== undefined) r.replaceMounts = true;
  if (f.mountWritable === true) r.mountWritable = true;
  if (f.mountInotify === true) r.mountInotify = true;
  if (f.param) r.param = params(f.param);
  if (f.portForward) r.portForwards = f.portForward.map(parsePortForwardFlag);
  if (f.dns && f.dns.length > 0) r.dns = f.dns;
  if (f.plain === true) r.plain = true;
  if (f.sshPort !== undefined) r.sshPort = f.sshPort;
  if (f.containerd !== undefined) r.containerd = { system: f.containerd.includes("system"), user: f.containerd.includes("user") };
  const sets = [...fieldFlagExpressions(f), ...(f.set ?? [])];
  if (sets.length > 0) r.sets = sets;
  return r;
}
