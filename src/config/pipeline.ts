import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { YAMLMap } from "yaml";
import { asText, getValue, scalarText, setOwn, toJS } from "./ast.js";
import { readTopLocator, resolveBases, resolveBasesSync, type ResolveOptions } from "./base.js";
import { expandTilde, fillDefaults } from "./defaults.js";
import { ConfigError, fieldPath, fileError, formatIssue, type ConfigIssue } from "./errors.js";
import { executeTemplate } from "../lang/gotemplate.js";
import { parseYaml, type LoadedYaml } from "./load.js";
import { mergeDefaultOverride } from "./merge.js";
import { locate, type KeyIndex } from "./positions.js";
import { checkShape, LIMA_SCHEMA, type ShapeIssue } from "./schema.js";
import { NotRegularFileError, readRegularFile } from "./templates.js";
import type { Config, HostFacts } from "./types.js";
import { validateConfig, type Finding } from "./validate.js";

export interface LoadOptions {
  hostFacts: HostFacts;
  tslimaHome: string;
  /** Instance name ({{.Name}}, {{.Dir}}); default: the file name without .yaml (or the directory of a lima.yaml). */
  instanceName?: string;
  /** Directories searched for template:NAME after the bundled ones; default TSLIMA_TEMPLATES_PATH. */
  templatesPath?: string[];
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** `FILE:LINE:COL: field: warning: message` lines (unknown fields, ignored settings, ...). */
  warnings: string[];
}

/** The instance name a file stands for: `foo.yaml` -> foo, `<home>/foo/lima.yaml` -> foo. */
export function instanceNameFromSource(source: string): string {
  const name = basename(source).replace(/\.ya?ml$/, "");
  if (name === "lima") return basename(dirname(source)) || "default";
  return name.replace(/[^A-Za-z0-9._-]/g, "-") || "default";
}

function resolveOpts(opts: LoadOptions): ResolveOptions {
  return { tslimaHome: opts.tslimaHome, templatesPath: opts.templatesPath, cwd: opts.cwd, home: opts.hostFacts.home };
}

function readOptional(path: string): LoadedYaml | undefined {
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (e) {
    const why = e instanceof NotRegularFileError ? e.message : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    throw fileError(path, `cannot read ${path}: ${why}`, "(file)", `fix or remove ${path}`);
  }
  return parseYaml(text, path);
}

/**
 * Merges default.yaml/override.yaml into an instance's base-resolved YAML, fills defaults and
 * validates. Throws one ConfigError listing every error with FILE:LINE:COL and field.
 */
function finish(loaded: LoadedYaml, opts: LoadOptions): LoadedConfig {
  const host = opts.hostFacts;
  const name = opts.instanceName ?? instanceNameFromSource(loaded.source);
  const instanceDir = join(opts.tslimaHome, name);
  const d = readOptional(join(opts.tslimaHome, "_config", "default.yaml"));
  const o = readOptional(join(opts.tslimaHome, "_config", "override.yaml"));

  // param values are not type-checked yet: a map or list (even one with a key named toString) becomes JSON
  const param: Record<string, string> = {};
  for (const m of [d?.root, loaded.root, o?.root]) {
    const p = m ? toJS(getValue(m, "param")) : null;
    if (p && typeof p === "object" && !Array.isArray(p)) for (const [k, v] of Object.entries(p)) setOwn(param, k, asText(v));
  }
  const hostVars = { Dir: instanceDir, Home: host.home, Name: name, UID: String(host.uid), User: host.user, Param: param, GlobalTempDir: host.tmpDir, TempDir: host.tmpDir };
  const mountKey = (m: YAMLMap): string | undefined => {
    const raw = scalarText(getValue(m, "mountPoint")) || scalarText(getValue(m, "location")) || undefined;
    if (raw === undefined) return undefined;
    try {
      return expandTilde(executeTemplate(raw, hostVars), host.home);
    } catch {
      return raw;
    }
  };
  const merged = mergeDefaultOverride(d?.root, loaded.root, o?.root, mountKey);

  const shapeErrors: ShapeIssue[] = [];
  const shapeWarnings: ShapeIssue[] = [];
  checkShape(merged, LIMA_SCHEMA, [], shapeErrors, shapeWarnings);
  const raw = toJS(merged) as Record<string, unknown>;
  const { config, notes } = fillDefaults(raw, host, name, { instanceDir });
  const findings: Finding[] = validateConfig(config, raw, host);

  const fallback = { source: loaded.source, line: 1, col: 1 };
  const keyIndex: KeyIndex = new WeakMap();
  const issue = (f: { path: Array<string | number>; message: string }, atKey = false): ConfigIssue => {
    const pos = locate(merged, f.path, fallback, atKey, keyIndex);
    return { ...pos, field: fieldPath(f.path), message: f.message };
  };
  const warning = (i: ConfigIssue) => formatIssue({ ...i, message: `warning: ${i.message}` });
  // a field with the wrong type is one problem: nothing else is said within it
  const badFields = new Set(shapeErrors.map((e) => fieldPath(e.path)));
  const checked = findings.filter((f) => !f.path.some((_, i) => badFields.has(fieldPath(f.path.slice(0, i + 1)))));
  const errors = [...shapeErrors.map((e) => issue(e)), ...checked.filter((f) => !f.warning).map((f) => issue(f))];
  const warnings = [
    // an unknown field is pointed at by its key
    ...shapeWarnings.map((w) => warning(issue(w, true))),
    ...[...notes, ...checked.filter((f) => f.warning)].map((w) => warning(issue(w))),
  ];
  if (errors.length > 0) throw new ConfigError(errors);
  return { config, warnings };
}

/**
 * Loads an instance's YAML text (as stored in lima.yaml): resolves any local `base:`, merges
 * TSLIMA_HOME/_config/default.yaml and override.yaml, fills defaults and validates.
 */
export function loadConfigText(text: string, source: string, opts: LoadOptions): LoadedConfig {
  return finish(resolveBasesSync(text, source, resolveOpts(opts)), opts);
}

/** Like loadConfigText for a locator (path, template:NAME or http(s) URL); URL bases are fetched. */
export async function loadConfig(locator: string, opts: LoadOptions): Promise<LoadedConfig> {
  const top = await readTopLocator(locator, resolveOpts(opts));
  const source = locator.startsWith("template:") || locator.startsWith("github:") || top.via !== undefined ? top.source : locator;
  const loaded = await resolveBases(top.text, source, resolveOpts(opts), top.via !== undefined);
  return finish(loaded, { ...opts, instanceName: opts.instanceName ?? instanceNameFromSource(top.source) });
}

/**
 * Reads a template and resolves its `base:` chain (and `file:` scripts) into one YAML text, as
 * `tslima create` stores it as lima.yaml. Comments of the template are kept.
 */
export async function resolveTemplate(
  locator: string,
  opts: { tslimaHome: string; templatesPath?: string[]; cwd?: string },
): Promise<{ text: string; source: string }> {
  const ropts: ResolveOptions = { tslimaHome: opts.tslimaHome, defaultBase: true, templatesPath: opts.templatesPath, cwd: opts.cwd };
  const top = await readTopLocator(locator, ropts);
  const loaded = await resolveBases(top.text, top.source, ropts, top.via !== undefined);
  return { text: loaded.doc.toString({ lineWidth: 0 }), source: top.source };
}

export { ConfigError };
