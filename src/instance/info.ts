import { listTemplates, templateSearchDirs } from "../config/index.js";
import { discoverPlugins, type Plugin } from "../config/plugins.js";
import { probeHostFacts } from "../host/facts.js";
import { probeQemu, runnableArches, whichSync, type RunnableArch } from "../qemu/index.js";
import { findVirtiofsd } from "../mounts/index.js";
import { tslimaHome, buildCacheDir, globalPaths } from "../store/paths.js";
import { LIMA_COMPAT_VERSION, TSLIMA_VERSION } from "../version.js";
import { DEFAULT_SHELLENV_BLOCK } from "../ssh/shell-env.js";

/**
 * What `tslima info` prints. The first fields are Lima's `limactl info` (pkg/limainfo: names and
 * types), so tools reading Lima's output read this one; the rest are tslima's.
 */
export interface HostInfo {
  /** Lima's version with tslima's as build metadata ("2.2.0+tslima.0.1.0", see src/version.ts), as `limactl --version`. */
  version: string;
  templates: Array<{ name: string; location: string }>;
  limaHome: string;
  vmTypes: string[];
  vmTypesEx: Record<string, { location?: string }>;
  guestAgents: Record<string, { location: string }>;
  shellEnvBlock: string[];
  hostOS: string;
  hostArch: string;
  identityFile: string;
  /** Every limactl-NAME program found (name, path, description), as Lima's. */
  plugins: Plugin[];
  libexecPaths: string[];
  sharePaths: string[];
  /** tslima's own version (package.json). */
  tslimaVersion: string;
  home: string;
  buildCache: string;
  host: { os: string; arch: string; cpus: number; memoryBytes: number };
  qemu?: { binary: string; version: string; accel: string; accelWarning?: string };
  qemuError?: string;
  /** Every guest architecture whose qemu-system-* binary is on PATH; `emulated` ones run under TCG translation. */
  arches: RunnableArch[];
  virtiofsd?: string;
}

/** What `tslima info` prints: version, home, templates and the accelerator found. */
export async function hostInfo(home: string = tslimaHome()): Promise<HostInfo> {
  const facts = probeHostFacts();
  const dirs = templateSearchDirs();
  const info: HostInfo = {
    version: LIMA_COMPAT_VERSION,
    templates: listTemplates(dirs).map((t) => ({ name: t.name, location: t.path })),
    limaHome: home,
    // QEMU is tslima's only driver; it needs no guest agent binary.
    vmTypes: ["qemu"],
    vmTypesEx: { qemu: {} },
    guestAgents: {},
    shellEnvBlock: [...DEFAULT_SHELLENV_BLOCK],
    hostOS: process.platform,
    hostArch: facts.arch,
    identityFile: globalPaths(home).userKey,
    plugins: discoverPlugins(),
    libexecPaths: [],
    sharePaths: dirs,
    tslimaVersion: TSLIMA_VERSION,
    home,
    buildCache: buildCacheDir(),
    host: { os: facts.os, arch: facts.arch, cpus: facts.cpus, memoryBytes: facts.memoryBytes },
    arches: runnableArches(facts.arch, (name) => whichSync(name)),
  };
  try {
    const q = await probeQemu(facts.arch, facts);
    info.qemu = { binary: q.binary, version: q.version, accel: q.accel, ...(q.accelWarning ? { accelWarning: q.accelWarning } : {}) };
  } catch (e) {
    info.qemuError = (e as Error).message;
  }
  const v = findVirtiofsd();
  if (v) info.virtiofsd = v.binary;
  return info;
}
