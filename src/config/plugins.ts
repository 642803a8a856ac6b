/**
 * Lima 2.x plugins (pkg/plugins): executables named `limactl-NAME` in the directory of the program
 * that was run and in the directories of PATH, the first of a name winning. `limactl NAME ARGS...`
 * runs a plugin when NAME is no built-in command (src/cli/main.ts), and `limactl-url-SCHEME`
 * resolves the template locator `SCHEME:REST` (url-plugins.ts). A script's description is the text
 * of its `<limactl-desc>...</limactl-desc>` comment, as in Lima.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { TslimaError } from "../errors.js";
import { exitOf, shellStatus, startChild } from "../proc/child.js";
import { tslimaHome } from "../store/paths.js";

export interface Plugin {
  /** NAME of `limactl-NAME` (`url-SCHEME` for a URL handler). */
  name: string;
  path: string;
  description?: string;
}

/** Where plugins are looked for: the running program's directory (argv[1]), then PATH's. Pure. */
export function pluginDirs(env: NodeJS.ProcessEnv = process.env, self: string | undefined = process.argv[1]): string[] {
  const dirs = [...(self !== undefined && isAbsolute(self) ? [dirname(self)] : []), ...(env.PATH ?? "").split(delimiter)];
  // an empty PATH entry means the current directory to a shell; a plugin is never taken from there
  return [...new Set(dirs.filter((d) => d !== "" && isAbsolute(d)))];
}

function isExecutableFile(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The `<limactl-desc>` of a script (a file starting with `#!`), from its first 64 KiB. */
function description(path: string): string | undefined {
  let text: string;
  try {
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(65536);
      text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!text.startsWith("#!")) return undefined;
  const d = /<limactl-desc>(.*?)<\/limactl-desc>/.exec(text)?.[1]?.trim();
  return d === undefined || d === "" ? undefined : d;
}

/** Every plugin, by name (the first directory holding a name wins). */
export function discoverPlugins(dirs: string[] = pluginDirs()): Plugin[] {
  const byName = new Map<string, Plugin>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const file of names.sort()) {
      const name = file.slice("limactl-".length);
      if (!file.startsWith("limactl-") || name === "" || byName.has(name)) continue;
      const path = join(dir, file);
      if (!isExecutableFile(path)) continue;
      const desc = description(path);
      byName.set(name, { name, path, ...(desc !== undefined ? { description: desc } : {}) });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The plugin `limactl-NAME`, looked up without reading every directory's scripts. */
export function findPlugin(name: string, dirs: string[] = pluginDirs()): Plugin | undefined {
  if (name === "" || name.includes("/")) return undefined;
  for (const dir of dirs) {
    const path = join(dir, `limactl-${name}`);
    if (isExecutableFile(path)) return { name, path };
  }
  return undefined;
}

/**
 * A plugin's environment: this one, with the running program's directory first on PATH (as Lima
 * puts its own), and LIMA_HOME the home tslima uses (a plugin written for Lima finds instances under
 * $LIMA_HOME).
 */
export function pluginEnv(env: NodeJS.ProcessEnv = process.env, self: string | undefined = process.argv[1]): NodeJS.ProcessEnv {
  const path = [...(self !== undefined && isAbsolute(self) ? [dirname(self)] : []), ...(env.PATH !== undefined && env.PATH !== "" ? [env.PATH] : [])].join(delimiter);
  return { ...env, PATH: path, LIMA_HOME: tslimaHome(env) };
}

/**
 * Runs `limactl NAME ARGS...`'s plugin with this process's terminal and returns its exit status (a
 * plugin killed by a signal: 128 + the signal's number, as a shell reports it).
 */
export async function runPlugin(plugin: Plugin, args: string[]): Promise<number> {
  const child = startChild(plugin.path, args, { stdio: "inherit", env: pluginEnv() });
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));
  // Ctrl-C reaches the plugin from the terminal; this process waits for it to end
  const ignore = () => {};
  process.on("SIGINT", ignore);
  try {
    const exit = await exitOf(child);
    if (spawnError !== undefined) {
      throw new TslimaError("PLUGIN_FAILED", `cannot run plugin ${plugin.path}: ${spawnError.message}`, { hint: `check that ${plugin.path} is a program this user may run, or remove it from PATH` });
    }
    return shellStatus(exit);
  } finally {
    process.off("SIGINT", ignore);
  }
}
