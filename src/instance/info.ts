import { readFileSync } from "node:fs";
import { probeHostFacts, listTemplates, templateSearchDirs } from "../config/index.js";
import { probeQemu } from "../qemu/index.js";
import { findVirtiofsd } from "../mounts/index.js";
import { tslimaHome, buildCacheDir } from "../store/paths.js";

export interface HostInfo {
  version: string;
  home: string;
  buildCache: string;
  templates: string[];
  host: { os: string; arch: string; cpus: number; memoryBytes: number };
  qemu?: { binary: string; version: string; accel: string; accelWarning?: string };
  qemuError?: string;
  virtiofsd?: string;
}

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

/** What `tslima info` prints: version, home, templates and the accelerator found. */
export async function hostInfo(home: string = tslimaHome()): Promise<HostInfo> {
  const facts = probeHostFacts();
  const info: HostInfo = {
    version: pkg.version,
    home,
    buildCache: buildCacheDir(),
    templates: listTemplates(templateSearchDirs()).map((t) => t.name),
    host: { os: facts.os, arch: facts.arch, cpus: facts.cpus, memoryBytes: facts.memoryBytes },
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
