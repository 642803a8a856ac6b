/**
 * Lima 2.x URL handler plugins: a template locator `SCHEME:REST` whose scheme tslima does not know
 * is handed to the program `limactl-url-SCHEME` (plugins.ts), run with REST as its one argument; what
 * it prints is a new locator (an http(s) URL, a file path, template:NAME or another custom one),
 * resolved again until no plugin applies; a locator seen twice is a loop. The document a plugin
 * leads to is treated as a remote template (config/base.ts): it may not name host files.
 */
import { TslimaError } from "../errors.js";
import { processError, runProgramSync } from "../proc/run.js";
import { findPlugin, pluginEnv, type Plugin } from "./plugins.js";

/** Schemes tslima reads itself (github: in github.ts), never handed to a plugin. */
const OWN = new Set(["template", "http", "https", "file", "github"]);

/** The custom scheme of a locator (two characters at least: `C:` is a Windows drive, as in Lima), if any. Pure. */
export function customScheme(locator: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(locator)?.[1];
  return scheme === undefined || OWN.has(scheme.toLowerCase()) ? undefined : scheme;
}

/** Runs one URL handler and returns the locator it printed. */
export function runUrlPlugin(plugin: Plugin, locator: string, scheme: string): string {
  const hint = `run \`${plugin.path} '${locator.slice(scheme.length + 1)}'\` to see what it prints (one locator: an http(s) URL, a file path or template:NAME), or remove it from PATH`;
  const r = runProgramSync(plugin.path, [locator.slice(scheme.length + 1)], { env: pluginEnv(), timeoutMs: 120_000 });
  if (r.spawnError !== undefined || r.timedOut || r.code !== 0) {
    throw processError("PLUGIN_FAILED", `the plugin limactl-url-${scheme} could not resolve the template locator ${locator}`, r, hint);
  }
  const out = r.stdout.trim();
  const bad = out === "" ? "printed nothing" : out.includes("\n") ? "printed more than one line" : out === "-" ? 'printed "-" (stdin is no locator a plugin may name)' : undefined;
  if (bad !== undefined) throw new TslimaError("PLUGIN_FAILED", `the plugin limactl-url-${scheme} (${plugin.path}) ${bad} for the template locator ${locator}`, { hint });
  return out;
}

/**
 * The locator `locator` stands for after every URL handler that applies has run, and the path of
 * the last plugin that ran (none: the locator is returned as it is).
 */
export function resolveCustomLocator(locator: string, find: (name: string) => Plugin | undefined = findPlugin): { locator: string; via?: string } {
  const seen: string[] = [];
  let current = locator;
  let via: string | undefined;
  for (;;) {
    if (seen.includes(current)) {
      throw new TslimaError("PLUGIN_FAILED", `the template locator ${locator} has a redirect loop: ${[...seen, current].join(" -> ")}`, { hint: "fix the limactl-url-* plugins on PATH that print these locators" });
    }
    seen.push(current);
    const scheme = customScheme(current);
    const plugin = scheme === undefined ? undefined : find(`url-${scheme}`);
    if (scheme === undefined || plugin === undefined) return via === undefined ? { locator: current } : { locator: current, via };
    current = runUrlPlugin(plugin, current, scheme);
    via = plugin.path;
  }
}
