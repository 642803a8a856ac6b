import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { instancePaths, type InstancePaths } from "../store/paths.js";
import { requirePrivateDir } from "../store/private.js";
import { instanceNameProblem } from "./names.js";

// Finding instances by name: light (no config loading), as every command starts here.

/**
 * Every instance directory under `home`, as Lima's store lists them: directories not starting with
 * "." or "_", with or without a lima.yaml (`list` shows one without as Broken), sorted.
 */
export function listInstanceDirs(home: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(home);
  } catch {
    return [];
  }
  return entries.filter((n) => !n.startsWith(".") && !n.startsWith("_") && isDir(join(home, n))).sort();
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Names of all instances under TSLIMA_HOME (directories holding a lima.yaml), sorted. */
export function listInstanceNames(home: string): string[] {
  return listInstanceDirs(home).filter((n) => instanceNameProblem(n) === undefined && existsSync(instancePaths(home, n).limaYaml));
}

/** The paths of an existing instance; an unknown name is an error that lists the existing ones, a directory that is not private UNSAFE_DIRECTORY. */
export function requireInstance(home: string, name: string): InstancePaths {
  const paths = instancePaths(home, name);
  requirePrivateDir(home, "TSLIMA_HOME");
  if (instanceNameProblem(name) === undefined && existsSync(paths.limaYaml)) {
    requirePrivateDir(paths.dir, "instance directory");
    return paths;
  }
  const names = listInstanceNames(home);
  throw new TslimaError("UNKNOWN_INSTANCE", `instance ${JSON.stringify(name)} does not exist`, {
    hint: names.length > 0 ? `existing instances: ${names.join(", ")}` : "there are no instances yet; create one with `tslima start template:default`",
  });
}
