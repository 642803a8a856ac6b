import { join } from "node:path";
import { setOwn } from "./ast.js";
import { executeTemplate } from "../lang/gotemplate.js";
import { formatSize } from "./sizes.js";
import { fillContainerd } from "./containerd.js";
import type { Arch, Config, FirmwareImage, HostFacts, MountType } from "./types.js";
import {
  bool, fillImage, fillMount, fillNetwork, fillPortForward, fillProbe, fillProvision, int, list, obj, str, stringMap,
  type FillContext, type Raw,
} from "./defaults-entries.js";

export { DEFAULT_9P, expandTilde } from "./defaults-entries.js";

/** A note about a field, positioned later by the caller (e.g. a template that could not be executed). */
export interface FieldNote {
  path: Array<string | number>;
  message: string;
}

export interface FillOptions {
  /** The instance directory ({{.Dir}}, base of relative hostSocket paths); default ~/.tslima/NAME. */
  instanceDir?: string;
}

/**
 * Default memory of an emulated guest (arch other than the host's): such a guest is for compatibility
 * work, and QEMU's TCG translation cache takes host RAM besides it. Its vCPUs stay at the native default
 * (multi-threaded TCG runs one host thread per vCPU).
 */
export const EMULATED_MEMORY_BYTES = 2 * 1024 ** 3;

const CONFIG_KEYS = new Set([
  "vmType", "os", "arch", "images", "cpus", "memory", "disk", "mounts", "mountType", "mountTypesUnsupported", "mountInotify",
  "ssh", "firmware", "user", "provision", "probes", "portForwards", "networks", "env", "param", "message", "containerd",
  "hostResolver", "propagateProxyEnv", "upgradePackages", "timezone", "plain", "base",
]);

const unsetOrDefault = (v: string | undefined) => v === undefined || v === "" || v === "default";

/** Lima: the host user name if it is a valid Linux user name, else "lima". tslima also maps root to "lima". */
export function defaultUserName(host: HostFacts): string {
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(host.user) && host.user !== "root" ? host.user : "lima";
}

/** The guest user (its home a template over the guest-side variables), and those variables with {{.Home}}. */
function fillUser(yaml: Raw, host: HostFacts, base: { Name: string; Hostname: string; Param: Record<string, string> }, tmpl: FillContext["tmpl"]): { user: Config["user"]; guestVars: Raw } {
  const u = obj(yaml.user);
  const userName = str(u.name) ?? defaultUserName(host);
  const uid = int(u.uid, host.uid === 0 ? 1000 : host.uid);
  const guestBase: Raw = { Name: base.Name, Hostname: base.Hostname, UID: String(uid), User: userName, Param: base.Param };
  const home = tmpl(str(u.home) ?? "/home/{{.User}}.guest", guestBase, ["user", "home"]);
  const user = { name: userName, comment: str(u.comment) ?? userName, uid, home, shell: str(u.shell) ?? "/bin/bash", passwordlessSudo: bool(u.passwordlessSudo, true) };
  return { user, guestVars: { ...guestBase, Home: home } };
}

/** firmware: legacyBIOS, and firmware.images (when any) with their arch defaulting to the config's, as Lima. */
function fillFirmware(fw: Raw, arch: Arch): Config["firmware"] {
  const images = list(fw.images).map((x): FirmwareImage => {
    const i = obj(x);
    const digest = str(i.digest);
    const vmType = str(i.vmType);
    return { location: str(i.location) ?? "", arch: (str(i.arch) || arch) as Arch, ...(digest ? { digest } : {}), ...(vmType ? { vmType } : {}) };
  });
  return { legacyBIOS: bool(fw.legacyBIOS, false), ...(images.length > 0 ? { images } : {}) };
}

/** Lima's default mount type: virtiofs on vz, 9p on qemu (reverse-sshfs when 9p is unsupported), else reverse-sshfs. */
function defaultMountType(raw: string | undefined, vmType: Config["vmType"], unsupported: MountType[]): MountType {
  if (!unsetOrDefault(raw)) return raw as MountType;
  if (vmType === "vz") return "virtiofs";
  if (vmType === "qemu") return unsupported.includes("9p") ? "reverse-sshfs" : "9p";
  return "reverse-sshfs";
}

/** Fields Lima has and tslima keeps as they are (`extra`), copyToHost's paths executed as templates. */
function fillExtra(yaml: Raw, ctx: FillContext): Raw {
  const extra: Raw = {};
  for (const [k, v] of Object.entries(yaml)) if (!CONFIG_KEYS.has(k)) setOwn(extra, k, v);
  if (Array.isArray(extra.copyToHost)) {
    extra.copyToHost = extra.copyToHost.map((x, i) => {
      const c = { ...obj(x) };
      if (typeof c.guest === "string") c.guest = ctx.tmpl(c.guest, ctx.guestVars, ["copyToHost", i, "guest"]);
      if (typeof c.host === "string") c.host = ctx.tmpl(c.host, ctx.hostVars, ["copyToHost", i, "host"]);
      return c;
    });
  }
  return extra;
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

  const { user, guestVars } = fillUser(yaml, host, { Name: instanceName, Hostname: hostname, Param: param }, tmpl);
  const hostVars: Raw = {
    Dir: instDir, Home: host.home, Name: instanceName, UID: String(host.uid), User: host.user, Param: param,
    GlobalTempDir: host.tmpDir, TempDir: host.tmpDir, Instance: instanceName, LimaHome: join(instDir, ".."),
  };
  const images = list(yaml.images).map((x) => fillImage(obj(x), arch));
  const mountTypesUnsupported = [...new Set(list(yaml.mountTypesUnsupported).map((m) => str(m) ?? ""))] as MountType[];
  const mountType = defaultMountType(str(yaml.mountType), vmType, mountTypesUnsupported);
  const ctx: FillContext = { host, instDir, vmType, mountType, guestVars, hostVars, tmpl };

  const plain = bool(yaml.plain, false);
  const mounts = plain ? [] : list(yaml.mounts).map((x, i) => fillMount(obj(x), i, ctx));
  const provision = list(yaml.provision).map((x, i) => fillProvision(obj(x), i, ctx));
  const probesRaw = list(yaml.probes);
  const probes = probesRaw.map((x, i) => fillProbe(obj(x), i, probesRaw.length, ctx));
  const portForwards = plain ? [] : list(yaml.portForwards).map((x, i) => fillPortForward(obj(x), i, ctx));
  const networks = list(yaml.networks).map((x, i) => fillNetwork(obj(x), i));

  const ssh = obj(yaml.ssh);
  const hr = obj(yaml.hostResolver);
  const hostMem = Math.floor(host.memoryBytes / 2);
  const extra = fillExtra(yaml, ctx);

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
    firmware: fillFirmware(obj(yaml.firmware), arch),
    user,
    provision,
    probes,
    portForwards,
    networks,
    env: stringMap(yaml.env),
    param,
    // Lima executes the message as a template with the instance's host-side variables ({{.Dir}}, {{.Name}}, ...).
    message: str(yaml.message) ? tmpl(str(yaml.message) as string, { ...hostVars, Hostname: hostname }, ["message"]) : "",
    containerd: fillContainerd(yaml.containerd, arch, plain),
    hostResolver: { enabled: bool(hr.enabled, true), ipv6: bool(hr.ipv6, false), hosts: stringMap(hr.hosts) },
    propagateProxyEnv: bool(yaml.propagateProxyEnv, true),
    upgradePackages: bool(yaml.upgradePackages, false),
    timezone: plain ? "" : (str(yaml.timezone) ?? host.timezone ?? ""),
    plain,
    extra,
  };
  return { config, notes };
}
