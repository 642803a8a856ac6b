import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigText, parseSize } from "../config/index.js";
import { probeHostFacts } from "../host/facts.js";
import { guestHostname } from "../config/guest.js";
import type { Arch, Config, HostFacts } from "../config/types.js";
import { instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { listInstanceDirs, listInstanceNames, requireInstance } from "./lookup.js";
import { inspectStatus, type InstanceStatus } from "../store/status.js";
import { autoStartedIdentifier } from "./autostart.js";

/** What `list` and `getInstance` report about one instance (JSON field names as Lima's `list --json`). */
export interface InstanceInfo {
  name: string;
  status: InstanceStatus;
  dir: string;
  vmType: string;
  arch: Arch | "?";
  cpus: number;
  /** Bytes. */
  memory: number;
  /** Bytes. */
  disk: number;
  sshLocalPort: number;
  sshConfigFile: string;
  hostAgentPID?: number;
  driverPID?: number;
  /** Why it is Broken, or what is wrong with lima.yaml. */
  errors: string[];
  /** The guest host name, `lima-NAME` (Lima's). */
  hostname: string;
  /** `protect`ed: delete, rename, edit and clone refuse it (a `protected` file in the directory, as Lima). */
  protected: boolean;
  /** Lima's field: the systemd unit (`lima-vm@NAME.service`, tslima autostart) its running host agent was started by. */
  autoStartedIdentifier?: string;
  /** lima.yaml with every default filled in; absent when it does not load (the instance is Broken). */
  config?: Config;
}

/** The ssh port recorded in ssh.config (Port line), if any. Pure on the text. */
export function sshPortFromConfigText(text: string): number | undefined {
  const m = /^\s*Port\s+(\d+)\s*$/im.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Loads an instance's config (lima.yaml merged with defaults). */
export function loadInstanceConfig(home: string, paths: InstancePaths, hostFacts: HostFacts = probeHostFacts()): Config {
  const text = readFileSync(paths.limaYaml, "utf8");
  return loadConfigText(text, paths.limaYaml, { hostFacts, tslimaHome: home, instanceName: paths.name }).config;
}

export function describeInstance(home: string, name: string, hostFacts?: HostFacts): InstanceInfo {
  return describeAt(home, requireInstance(home, name), hostFacts);
}

/**
 * What is known of the instance directory `paths.dir`; one without a lima.yaml that loads is
 * Broken, with the reason in `errors` (as Lima lists it).
 */
function describeAt(home: string, paths: InstancePaths, hostFacts?: HostFacts): InstanceInfo {
  const name = paths.name;
  const st = inspectStatus(paths);
  const info: InstanceInfo = {
    name,
    status: st.status,
    dir: paths.dir,
    vmType: "qemu",
    arch: "?",
    cpus: 0,
    memory: 0,
    disk: 0,
    sshLocalPort: 0,
    sshConfigFile: paths.sshConfig,
    errors: st.status === "Broken" && st.reason ? [st.reason] : [],
    hostname: guestHostname(name),
    protected: existsSync(join(paths.dir, PROTECTED_FILE)),
  };
  if (st.haPid !== undefined) info.hostAgentPID = st.haPid;
  const autoStarted = autoStartedIdentifier(name, st.haPid);
  if (autoStarted !== undefined) info.autoStartedIdentifier = autoStarted;
  if (st.qemuPid !== undefined) info.driverPID = st.qemuPid;
  try {
    const c = loadInstanceConfig(home, paths, hostFacts);
    info.vmType = c.vmType;
    info.arch = c.arch;
    info.cpus = c.cpus;
    info.memory = parseSize(c.memory);
    info.disk = parseSize(c.disk);
    info.sshLocalPort = c.ssh.localPort;
    info.config = c;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    info.errors.push(err.code === "ENOENT" ? "lima.yaml: the file does not exist" : `lima.yaml: ${err.message}`);
    info.status = "Broken";
  }
  if (st.status !== "Stopped") {
    try {
      info.sshLocalPort = sshPortFromConfigText(readFileSync(paths.sshConfig, "utf8")) ?? info.sshLocalPort;
    } catch {
      // no ssh.config yet
    }
  }
  return info;
}

/** The file whose presence marks an instance protected (Lima's name). */
export const PROTECTED_FILE = "protected";

/** What `list` shows: the named instances (or all), and the names that matched none (Lima warns and exits 1). */
export interface ListReport {
  instances: InstanceInfo[];
  unmatched: string[];
}

/** Library API: `list`'s view, Broken directories included and unknown names reported, not thrown. */
export function inventory(opts: { home?: string; names?: string[] } = {}): ListReport {
  const home = opts.home ?? tslimaHome();
  const all = listInstanceDirs(home);
  const names = opts.names ?? [];
  const wanted = names.length > 0 ? names.filter((n) => all.includes(n)) : all;
  const hostFacts = wanted.length > 0 ? probeHostFacts() : undefined;
  return {
    instances: wanted.map((n) => describeAt(home, instancePaths(home, n), hostFacts)),
    unmatched: names.filter((n) => !all.includes(n)),
  };
}

/** All instances, or the named ones (unknown names are an error listing the existing ones). */
export function listInstances(home: string, names: string[] = []): InstanceInfo[] {
  const wanted = names.length > 0 ? names : listInstanceNames(home);
  const hostFacts = wanted.length > 0 ? probeHostFacts() : undefined;
  return wanted.map((n) => describeInstance(home, n, hostFacts));
}

/** Library API: every instance (or the named ones). */
export function listInstancesApi(opts: { home?: string; names?: string[] } = {}): InstanceInfo[] {
  return listInstances(opts.home ?? tslimaHome(), opts.names ?? []);
}

/** Library API: one instance; an unknown name is an error listing the existing ones. */
export function getInstance(name: string, opts: { home?: string } = {}): InstanceInfo {
  return describeInstance(opts.home ?? tslimaHome(), name);
}
