import { existsSync, renameSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../store/atomic.js";
import { ensurePrivateHome, makePrivateTempDir } from "../store/private.js";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { loadConfigText, resolveTemplate, type LoadedConfig } from "../config/index.js";
import { customScheme, resolveCustomLocator } from "../config/url-plugins.js";
import { resolveGithubLocator } from "../config/github-io.js";
import { probeHostFacts } from "../host/facts.js";
import { applyEdits, applySets } from "../config/sets.js";
import type { Config } from "../config/types.js";
import { instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { nameFromLocator, validateInstanceName } from "./names.js";
import { OPTION_NAMES, OVERRIDE_KEYS, optionError, overrideEdits, type ConfigOverrides, type OverrideEdit, type OverrideNames } from "./overrides.js";

/** What `create` (and `start` of a new instance) takes: where, and the typed config overrides. */
export interface CreateOptions extends ConfigOverrides {
  /** Default: from the file or template name. */
  name?: string;
  /** TSLIMA_HOME; default $TSLIMA_HOME or ~/.tslima. */
  home?: string;
  /** Where a relative locator is read from; default process.cwd(). */
  cwd?: string;
  /** Directories searched for template:NAME before the bundled ones. */
  templatesPath?: string[];
}

/**
 * What the CLI adds to CreateOptions (not part of the library): its `--set` expressions, applied
 * after the overrides, and its flag names for errors about them.
 */
export interface CreateRequest extends CreateOptions {
  sets?: string[];
  names?: OverrideNames;
}

/** Whether a request changes anything (`edit` without flags opens an editor instead). Pure. */
export function hasOverrides(o: ConfigOverrides & { sets?: string[] }): boolean {
  return OVERRIDE_KEYS.some((k) => o[k] !== undefined) || (o.sets ?? []).length > 0;
}

export interface Created {
  name: string;
  paths: InstancePaths;
  config: Config;
  warnings: string[];
}

/** Whether a start/create argument is a locator (file, URL, template) rather than an instance name. Pure. */
export function isLocator(arg: string): boolean {
  return arg.startsWith("template:") || arg.startsWith("github:") || /^[a-z]+:\/\//i.test(arg) || arg.includes("/") || /\.ya?ml$/i.test(arg) || arg === "-";
}

/**
 * Creates an instance from a locator without booting it: resolve the template, apply the flags,
 * validate; only then write lima.yaml (into a temporary directory renamed into place, so bad input
 * leaves nothing behind).
 */
export function createInstance(locator: string, opts: CreateOptions = {}): Promise<Created> {
  return createRequested(locator, libraryOptions(opts));
}

/** A library caller's options without the CLI's additions (a JavaScript caller may pass anything). */
export function libraryOptions<T extends CreateOptions>(opts: T): T {
  const { sets: _sets, names: _names, ...rest } = opts as T & CreateRequest;
  return rest as T;
}

/** createInstance for the CLI: with its --set expressions and flag names. */
export async function createRequested(given: string, opts: CreateRequest = {}): Promise<Created> {
  // github:ORG/REPO/PATH@BRANCH stands for a raw.githubusercontent.com URL, read as a remote template
  const github = given.startsWith("github:");
  const locator = github ? await resolveGithubLocator(given) : given;
  const home = opts.home ?? tslimaHome();
  const cwd = opts.cwd ?? process.cwd();
  if (locator === "-" && opts.name === undefined) {
    throw new TslimaError("INVALID_FLAG", "must pass instance name with --name when reading template from stdin", { hint: "e.g. tslima create --name dev - < dev.yaml" });
  }
  // SCHEME:REST of a limactl-url-SCHEME plugin is named after what the plugin prints, as in Lima
  const name = validateInstanceName(opts.name ?? nameFromLocator(customScheme(locator) === undefined ? locator : resolveCustomLocator(locator).locator));
  const paths = instancePaths(home, name);
  if (existsSync(paths.dir)) {
    throw new TslimaError("INSTANCE_EXISTS", `instance ${JSON.stringify(name)} already exists (${paths.dir})`, {
      hint: `start it with \`tslima start ${name}\`, or pick another name with --name`,
    });
  }
  const { text, source } = await resolveTemplate(locator, {
    tslimaHome: home,
    cwd,
    ...(opts.templatesPath ? { templatesPath: opts.templatesPath } : {}),
  });
  const { text: finalText, edits } = withOverrides(text, opts, source);
  const { config, warnings } = loadChecked(finalText, source, edits, opts.names, () => loadConfigText(finalText, source, { hostFacts: probeHostFacts(home), tslimaHome: home, instanceName: name }));

  ensurePrivateHome(home);
  const tmp = makePrivateTempDir(home, `.create-${name}-`);
  try {
    writeFileAtomic(join(tmp, "lima.yaml"), finalText.endsWith("\n") ? finalText : `${finalText}\n`);
    moveIntoPlace(tmp, paths, `use \`tslima start ${name}\``);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { name, paths, config, warnings: github ? ["The github: scheme is still EXPERIMENTAL", ...warnings] : warnings };
}

/** `text` with the overrides merged in as data, then the CLI's --set expressions applied. Pure. */
function withOverrides(text: string, o: CreateRequest, source: string): { text: string; edits: OverrideEdit[] } {
  const names = o.names ?? OPTION_NAMES;
  const edits = overrideEdits(o, text, names);
  const fail = (path: Array<string | number>) => (why: string) => new TslimaError(names.code, `${names.name(path)}: cannot be merged into ${source}: ${why}`, { hint: `fix ${source}, or leave ${names.name(path)} out` });
  let out = edits.length > 0 ? applyEdits(text, edits.map((e) => ({ ...e, fail: fail(e.option) })), source, "the overrides") : text;
  if ((o.sets ?? []).length > 0) out = applySets(out, o.sets ?? [], source);
  return { text: out, edits };
}

/** Loads the overridden text; a library caller's config errors in fields it set name its options. */
function loadChecked(text: string, source: string, edits: OverrideEdit[], names: OverrideNames | undefined, load: () => LoadedConfig): LoadedConfig {
  try {
    return load();
  } catch (e) {
    throw names === undefined ? optionError(e, edits) : e;
  }
}

/** Applies overrides to an existing instance's lima.yaml (validated before it is rewritten). */
export function editInstance(home: string, paths: InstancePaths, currentText: string, o: CreateRequest): string[] {
  if (!hasOverrides(o)) return [];
  const { text, edits } = withOverrides(currentText, o, paths.limaYaml);
  const { warnings } = loadChecked(text, paths.limaYaml, edits, o.names, () => loadConfigText(text, paths.limaYaml, { hostFacts: probeHostFacts(), tslimaHome: home, instanceName: paths.name }));
  writeFileAtomic(paths.limaYaml, text);
  return warnings;
}

/**
 * Renames a filled temporary directory to the instance's: INSTANCE_EXISTS (with `hint`) when
 * another process created that instance meanwhile.
 */
export function moveIntoPlace(tmp: string, paths: InstancePaths, hint: string): void {
  try {
    renameSync(tmp, paths.dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTEMPTY") {
      throw new TslimaError("INSTANCE_EXISTS", `instance ${JSON.stringify(paths.name)} was just created by someone else`, { hint });
    }
    throw e;
  }
}
