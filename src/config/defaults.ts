import { isAbsolute, join } from "node:path";
import { asText, setOwn } from "./ast.js";
import { executeTemplate } from "../lang/gotemplate.js";
import { formatSize } from "./sizes.js";
import type { Arch, Config, HostFacts, Image, Mount, MountType, Network, PortForward, Probe, Provision } from "./types.js";

/** A note about a field, positioned later by the caller (e.g. a template that could not be executed). */
export interface FieldNote {
  path: Array<string | number>;
  message: string;
}

export interface FillOptions {
  /** The instance directory ({{.Dir}}, base of relative hostSocket paths); default ~/.tslima/NAME. */
  instanceDir?: string;
}

type Raw = Record<string, unknown>;

/**
 * Default memory of an emulated guest (arch other than the host's): such a guest is for compatibility
 * work, and QEMU's TCG translation cache takes host RAM besides it. Its vCPUs stay at the native default
 * (multi-threaded TCG runs one host thread per vCPU).
 */
export const EMULATED_MEMORY_BYTES = 2 * 1024 ** 3;

export const DEFAULT_9P = { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cacheReadOnly: "fscache", cacheWritable: "mmap" } as const;
const CONFIG_KEYS = new Set([
  "vmType", "os", "arch", "images", "cpus", "memory", "disk", "mounts", "mountType", "mountTypesUnsupported", "mountInotify",
  "ssh", "firmware", "user", "provision", "probes", "portForwards", "networks", "env", "param", "message", "containerd",
  "hostResolver", "propagateProxyEnv", "upgradePackages", "timezone", "plain", "base",
]);

const obj = (v: unknown): Raw => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (v === null || v === undefined || typeof v === "object" ? undefined : asText(v));
const bool = (v: unknown, d: boolean): boolean => (typeof v === "boolean" ? v : d);
const int = (v: unknown, d: number): number => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : d);
const unsetOrDefault = (v: string | undefined) => v === undefined || v === "" || v === "default";
const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, asText(x)]));

/** Lima: the host user name if it is a valid Linux user name, else "lima". tslima also maps root to "lima". */
export function defaultUserName(host: HostFacts): string {
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(host.user) && host.user !== "root" ? host.user : "lima";
}

export function expandTilde(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return join(home, p.slice(2));
  return p;
}

/**
 * Fills every field Lima gives a builtin default (see DESIGN.md) into the merged YAML of an instance
 * (after base:, default.yaml and override.yaml). Pure: host facts come in as an argument. Template
 * variables and `param` are substituted in mount paths, provision/probe scripts and socket paths.
 */
export function fillDefaults(yaml: Raw, host: HostFacts, instanceName: string, opts: FillOptions = {}): { config: Config; notes: FieldNote[] } {
  const notes: FieldNote[] = [];
  const instDir = opts.instanceDir ?? join(host.home, ".tslima", instanceName);
  const param = stringMap(yaml.param);
  const hostname = `lima-${instanceName.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
  const tmpl = (text: string, vars: Raw, path: Array<string | number>): string => {
    try {
      return executeTemplate(text, vars);
    } catch (e) {
      notes.push({ path, message: `could not be processed as a template (${(e as Error).message}); used as written` });
      return text;
    }
  };

  const vmTypeRaw = str(yaml.vmType);
  const vmType = (unsetOrDefault(vmTypeRaw) ? "qemu" : vmTypeRaw) as Config["vmType"];
  const osRaw = str(yaml.os);
  const os = (unsetOrDefault(osRaw) ? "Linux" : osRaw) as Config["os"];
  const archRaw = str(yaml.arch);
  const arch = (unsetOrDefault(archRaw) ? host.arch : archRaw) as Arch;

  const u = obj(yaml.user);
  const userName = str(u.name) ?? defaultUserName(host);
  const uid = int(u.uid, host.uid === 0 ? 1000 : host.uid);
  const guestBase: Raw = { Name: instanceName, Hostname: hostname, UID: String(uid), User: userName, Param: param };
  const home = tmpl(str(u.home) ?? "/home/{{.User}}.guest", guestBase, ["user", "home"]);
  const user = { name: userName, comment: str(u.comment) ?? userName, uid, home, shell: str(u.shell) ?? "/bin/bash", passwordlessSudo: bool(u.passwordlessSudo, true) };
  const guestVars: Raw = { ...guestBase, Home: home };
  const hostVars: Raw = {
    Dir: instDir, Home: host.home, Name: instanceName, UID: String(host.uid), User: host.user, Param: param,
    GlobalTempDir: host.tmpDir, TempDir: host.tmpDir, Instance: instanceName, LimaHome: join(instDir, ".."),
  };

  const images: Image[] = list(yaml.images).map((x) => {
    const i = obj(x);
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
  });

  const mountTypesUnsupported = [...new Set(list(yaml.mountTypesUnsupported).map((m) => str(m) ?? ""))] as MountType[];
  const mtRaw = str(yaml.mountType);
  let mountType: MountType;
  if (unsetOrDefault(mtRaw)) {
    if (vmType === "vz") mountType = "virtiofs";
    else if (vmType === "qemu") mountType = mountTypesUnsupported.includes("9p") ? "reverse-sshfs" : "9p";
    else mountType = "reverse-sshfs";
  } else mountType = mtRaw as MountType;

  const plain = bool(yaml.plain, false);
  const mounts: Mount[] = plain ? [] : list(yaml.mounts).map((x, i) => {
    const m = obj(x);
    const location = expandTilde(tmpl(str(m.location) ?? "", hostVars, ["mounts", i, "location"]), host.home);
    const mp = str(m.mountPoint);
    const writable = bool(m.writable, false);
    const sshfs = obj(m.sshfs);
    const ninep = obj(m["9p"]);
    const vfs = obj(m.virtiofs);
    const mount: Mount = {
      location,
      mountPoint: mp === undefined ? location : tmpl(mp, guestVars, ["mounts", i, "mountPoint"]),
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
    else if (vmType === "qemu" && mountType === "virtiofs") mount.virtiofs.queueSize = 1024;
    return mount;
  });

  const provision: Provision[] = list(yaml.provision).map((x, i) => {
    const p = obj(x);
    const mode = (str(p.mode) ?? "system") as Provision["mode"];
    const out: Provision = { mode };
    const t = (k: string) => (str(p[k]) === undefined ? undefined : tmpl(str(p[k]) as string, guestVars, ["provision", i, k]));
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
  });

  const probesRaw = list(yaml.probes);
  const probes: Probe[] = probesRaw.map((x, i) => {
    const p = obj(x);
    return {
      mode: (str(p.mode) ?? "readiness") as Probe["mode"],
      description: str(p.description) ?? `user probe ${i + 1}/${probesRaw.length}`,
      script: tmpl(str(p.script) ?? "", guestVars, ["probes", i, "script"]),
      hint: str(p.hint) ?? "",
    };
  });

  const portForwards: PortForward[] = plain ? [] : list(yaml.portForwards).map((x, i) => fillPortForward(obj(x), i));
  function fillPortForward(r: Raw, i: number): PortForward {
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
      hostSocket = tmpl(hostSocket, hostVars, ["portForwards", i, "hostSocket"]);
      // A relative path lives under <instance>/sock/; one that escapes it stays relative, which validation refuses.
      const sockDir = join(instDir, "sock");
      const under = join(sockDir, hostSocket);
      if (!isAbsolute(hostSocket) && under.startsWith(`${sockDir}/`)) hostSocket = under;
    }
    const guestSocket = str(r.guestSocket) ? tmpl(str(r.guestSocket) as string, guestVars, ["portForwards", i, "guestSocket"]) : "";
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

  const networks: Network[] = list(yaml.networks).map((x, i) => {
    const n = obj(x);
    const out: Network = { interface: str(n.interface) || `lima${i}`, metric: int(n.metric, 100) };
    if (str(n.lima)) out.lima = str(n.lima);
    if (str(n.socket)) out.socket = str(n.socket);
    if (typeof n.vzNAT === "boolean") out.vzNAT = n.vzNAT;
    if (str(n.macAddress)) out.macAddress = str(n.macAddress);
    return out;
  });

  const ssh = obj(yaml.ssh);
  const hr = obj(yaml.hostResolver);
  const cd = obj(yaml.containerd);
  const hostMem = Math.floor(host.memoryBytes / 2);
  const extra: Raw = {};
  for (const [k, v] of Object.entries(yaml)) if (!CONFIG_KEYS.has(k)) setOwn(extra, k, v);
  if (Array.isArray(extra.copyToHost)) {
    extra.copyToHost = extra.copyToHost.map((x, i) => {
      const c = { ...obj(x) };
      if (typeof c.guest === "string") c.guest = tmpl(c.guest, guestVars, ["copyToHost", i, "guest"]);
      if (typeof c.host === "string") c.host = tmpl(c.host, hostVars, ["copyToHost", i, "host"]);
      return c;
    });
  }

  const config: Config = {
    vmType,
    os,
    arch,
    images,
    cpus: int(yaml.cpus, 0) || Math.min(4, host.cpus),
    memory: str(yaml.memory) || formatSize(Math.min(arch === host.arch ? 4 * 1024 ** 3 : EMULATED_MEMORY_BYTES, hostMem)),
    disk: str(yaml.disk) || "100GiB",
    mounts,
    mountType,
    mountTypesUnsupported,
    mountInotify: bool(yaml.mountInotify, false),
    ssh: {
      localPort: int(ssh.localPort, 0),
      loadDotSSHPubKeys: bool(ssh.loadDotSSHPubKeys, false),
      forwardAgent: bool(ssh.forwardAgent, false),
      forwardX11: bool(ssh.forwardX11, false),
      forwardX11Trusted: bool(ssh.forwardX11Trusted, false),
    },
    firmware: { legacyBIOS: bool(obj(yaml.firmware).legacyBIOS, false) },
    user,
    provision,
    probes,
    portForwards,
    networks,
    env: stringMap(yaml.env),
    param,
    // Lima executes the message as a template with the instance's host-side variables ({{.Dir}}, {{.Name}}, ...).
    message: str(yaml.message) ? tmpl(str(yaml.message) as string, { ...hostVars, Hostname: hostname }, ["message"]) : "",
    // tslima does not install containerd/nerdctl (Lima's default for user is true); see validate.ts
    containerd: { system: bool(cd.system, false), user: bool(cd.user, false) },
    hostResolver: { enabled: bool(hr.enabled, true), ipv6: bool(hr.ipv6, false), hosts: stringMap(hr.hosts) },
    propagateProxyEnv: bool(yaml.propagateProxyEnv, true),
    upgradePackages: bool(yaml.upgradePackages, false),
    timezone: plain ? "" : (str(yaml.timezone) ?? host.timezone ?? ""),
    plain,
    extra,
  };
  return { config, notes };
}
