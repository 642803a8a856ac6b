import { isAbsolute, resolve } from "node:path";
import { homedir } from "node:os";
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
  /** --mount-inotify: forward host changes in writable mounts as inotify events (mountInotify: true). */
  mountInotify?: boolean;
  /** Raw KEY=VALUE expressions passed to applySets. */
  sets?: string[];
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
  if (o.mountType !== undefined) sets.push(`.mountType=${JSON.stringify(o.mountType)}`);
  if (o.mountInotify === true) sets.push(".mountInotify=true");
  if (o.mounts && o.mounts.length > 0) {
    let existing = 0;
    try {
      const doc = parse(yamlText) as { mounts?: unknown } | null;
      if (Array.isArray(doc?.mounts)) existing = doc.mounts.length;
    } catch {
      // the loader reports YAML errors with positions
    }
    o.mounts.forEach((spec, i) => {
      const m = parseMountFlag(spec, cwd);
      sets.push(`.mounts[${existing + i}]=${JSON.stringify({ location: m.location, writable: m.writable })}`);
    });
  }
  return [...sets, ...(o.sets ?? [])];
}
