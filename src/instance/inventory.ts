import { readFileSync } from "node:fs";
import { loadConfigText, parseSize, probeHostFacts } from "../config/index.js";
import type { Arch, Config, HostFacts } from "../config/types.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { listInstanceNames, requireInstance } from "./lookup.js";
import { inspectStatus, type InstanceStatus } from "../store/status.js";

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
  const paths = requireInstance(home, name);
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
  };
  if (st.haPid !== undefined) info.hostAgentPID = st.haPid;
  if (st.qemuPid !== undefined) info.driverPID = st.qemuPid;
  try {
    const c = loadInstanceConfig(home, paths, hostFacts);
    info.vmType = c.vmType;
    info.arch = c.arch;
    info.cpus = c.cpus;
    info.memory = parseSize(c.memory);
    info.disk = parseSize(c.disk);
    info.sshLocalPort = c.ssh.localPort;
  } catch (e) {
    info.errors.push(`lima.yaml: ${(e as Error).message}`);
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
