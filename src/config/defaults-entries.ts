import { isAbsolute, join } from "node:path";
import { asText } from "./ast.js";
import type { Arch, Config, HostFacts, Image, Mount, MountType, Network, PortForward, Probe, Provision } from "./types.js";

/**
 * The defaults of the list entries of Lima's YAML (images, mounts, provision, probes, portForwards,
 * networks), for fillDefaults (defaults.ts), and the readers of raw YAML values they share. Pure.
 */

export type Raw = Record<string, unknown>;

export const DEFAULT_9P = { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cacheReadOnly: "fscache", cacheWritable: "mmap" } as const;

export const obj = (v: unknown): Raw => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : {});
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (v === null || v === undefined || typeof v === "object" ? undefined : asText(v));
export const bool = (v: unknown, d: boolean): boolean => (typeof v === "boolean" ? v : d);
export const int = (v: unknown, d: number): number => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : d);
export const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, asText(x)]));

/** What the entries' defaults depend on: the instance, the config's top-level choices, the template variables. */
export interface FillContext {
  host: HostFacts;
  /** The instance directory ({{.Dir}}, base of relative hostSocket paths). */
  instDir: string;
  vmType: Config["vmType"];
  mountType: MountType;
  /** Template variables of guest-side values ({{.Home}} is the guest's) and of host-side ones. */
  guestVars: Raw;
  hostVars: Raw;
  /** Executes a template; one that fails is kept as written, with a note at `path`. */
  tmpl(text: string, vars: Raw, path: Array<string | number>): string;
}

export function expandTilde(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return join(home, p.slice(2));
  return p;
}

export function fillImage(i: Raw, arch: Arch): Image {
  const img: Image = { location: str(i.location) ?? "", arch: (str(i.arch) ?? arch) as Arch };
  if (str(i.digest)) img.digest = str(i.digest);
  if (str(i.variant)) img.variant = str(i.variant);
  if (str(i.archVariant)) img.archVariant = str(i.archVariant);
  if (i.kernel) {
    const k = obj(i.kernel);
    img.kernel = { location: str(k.location) ?? "", arch: (str(k.arch) ?? img.arch) as Arch };
    if (str(k.digest)) img.kernel.digest = str(k.digest);
    if (str(k.cmdline) !== undefined) img.kernel.cmdline = str(k.cmdline);
  }
  if (i.initrd) {
    const r = obj(i.initrd);
    img.initrd = { location: str(r.location) ?? "", arch: (str(r.arch) ?? img.arch) as Arch };
    if (str(r.digest)) img.initrd.digest = str(r.digest);
  }
  return img;
}

export function fillMount(m: Raw, i: number, ctx: FillContext): Mount {
  const location = expandTilde(ctx.tmpl(str(m.location) ?? "", ctx.hostVars, ["mounts", i, "location"]), ctx.host.home);
  const mp = str(m.mountPoint);
  const writable = bool(m.writable, false);
  const sshfs = obj(m.sshfs);
  const ninep = obj(m["9p"]);
  const vfs = obj(m.virtiofs);
  const mount: Mount = {
    location,
    mountPoint: mp === undefined ? location : ctx.tmpl(mp, ctx.guestVars, ["mounts", i, "mountPoint"]),
    writable,
    sshfs: { cache: bool(sshfs.cache, true), followSymlinks: bool(sshfs.followSymlinks, false), sftpDriver: str(sshfs.sftpDriver) ?? "" },
    "9p": {
      securityModel: (str(ninep.securityModel) ?? DEFAULT_9P.securityModel) as Mount["9p"]["securityModel"],
      protocolVersion: (str(ninep.protocolVersion) ?? DEFAULT_9P.protocolVersion) as Mount["9p"]["protocolVersion"],
      msize: str(ninep.msize) ?? DEFAULT_9P.msize,
      cache: (str(ninep.cache) ?? (writable ? DEFAULT_9P.cacheWritable : DEFAULT_9P.cacheReadOnly)) as Mount["9p"]["cache"],
    },
    virtiofs: {},
  };
  const qs = int(vfs.queueSize, 0);
  if (qs > 0) mount.virtiofs.queueSize = qs;
  else if (ctx.vmType === "qemu" && ctx.mountType === "virtiofs") mount.virtiofs.queueSize = 1024;
  return mount;
}

export function fillProvision(p: Raw, i: number, ctx: FillContext): Provision {
  const mode = (str(p.mode) ?? "system") as Provision["mode"];
  const out: Provision = { mode };
  const t = (k: string) => (str(p[k]) === undefined ? undefined : ctx.tmpl(str(p[k]) as string, ctx.guestVars, ["provision", i, k]));
  if (t("script") !== undefined) out.script = t("script");
  for (const k of ["path", "content", "owner", "expression", "format", "playbook"] as const) {
    const v = t(k);
    if (v !== undefined) out[k] = v;
  }
  if (p.permissions !== undefined && p.permissions !== null) out.permissions = asText(p.permissions);
  if (typeof p.overwrite === "boolean") out.overwrite = p.overwrite;
  if (typeof p.skipDefaultDependencyResolution === "boolean") out.skipDefaultDependencyResolution = p.skipDefaultDependencyResolution;
  if (mode === "dependency" && out.skipDefaultDependencyResolution === undefined) out.skipDefaultDependencyResolution = false;
  if (mode === "data") {
    out.owner ??= "root:root";
    out.permissions ??= "644";
    out.overwrite ??= true;
  }
  if (mode === "yq") {
    out.format ??= "auto";
    out.owner ??= "root:root";
    out.permissions ??= "644";
  }
  return out;
}

/** Probe `i` of `count`. */
export function fillProbe(p: Raw, i: number, count: number, ctx: FillContext): Probe {
  return {
    mode: (str(p.mode) ?? "readiness") as Probe["mode"],
    description: str(p.description) ?? `user probe ${i + 1}/${count}`,
    script: ctx.tmpl(str(p.script) ?? "", ctx.guestVars, ["probes", i, "script"]),
    hint: str(p.hint) ?? "",
  };
}

export function fillPortForward(r: Raw, i: number, ctx: FillContext): PortForward {
  const guestIPMustBeZero = bool(r.guestIPMustBeZero, false);
  const guestPort = int(r.guestPort, 0);
  const hostPort = int(r.hostPort, 0);
  const range = (v: unknown): [number, number] => [int(list(v)[0], 0), int(list(v)[1], 0)];
  let guestPortRange = range(r.guestPortRange);
  if (guestPortRange[0] === 0 && guestPortRange[1] === 0) guestPortRange = guestPort === 0 ? [1, 65535] : [guestPort, guestPort];
  let hostPortRange = range(r.hostPortRange);
  if (hostPortRange[0] === 0 && hostPortRange[1] === 0) hostPortRange = hostPort === 0 ? [...guestPortRange] : [hostPort, hostPort];
  let hostSocket = str(r.hostSocket) ?? "";
  if (hostSocket !== "") {
    hostSocket = ctx.tmpl(hostSocket, ctx.hostVars, ["portForwards", i, "hostSocket"]);
    // A relative path lives under <instance>/sock/; one that escapes it stays relative, which validation refuses.
    const sockDir = join(ctx.instDir, "sock");
    const under = join(sockDir, hostSocket);
    if (!isAbsolute(hostSocket) && under.startsWith(`${sockDir}/`)) hostSocket = under;
  }
  const guestSocket = str(r.guestSocket) ? ctx.tmpl(str(r.guestSocket) as string, ctx.guestVars, ["portForwards", i, "guestSocket"]) : "";
  return {
    guestIPMustBeZero,
    guestIP: str(r.guestIP) ?? (guestIPMustBeZero ? "0.0.0.0" : "127.0.0.1"),
    guestPort,
    guestPortRange,
    guestSocket,
    hostIP: str(r.hostIP) ?? "127.0.0.1",
    hostPort,
    hostPortRange,
    hostSocket,
    proto: (str(r.proto) ?? "tcp") as PortForward["proto"],
    reverse: bool(r.reverse, false),
    ignore: bool(r.ignore, false),
  };
}

export function fillNetwork(n: Raw, i: number): Network {
  const out: Network = { interface: str(n.interface) || `lima${i}`, metric: int(n.metric, 100) };
  if (str(n.lima)) out.lima = str(n.lima);
  if (str(n.socket)) out.socket = str(n.socket);
  if (typeof n.vzNAT === "boolean") out.vzNAT = n.vzNAT;
  if (str(n.macAddress)) out.macAddress = str(n.macAddress);
  return out;
}
