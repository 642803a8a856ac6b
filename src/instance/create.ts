import { existsSync, renameSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../store/atomic.js";
import { ensurePrivateHome, makePrivateTempDir } from "../store/private.js";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { applySets, loadConfigText, resolveTemplate } from "../config/index.js";
import { probeHostFacts } from "../host/facts.js";
import type { Config } from "../config/types.js";
import { instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { nameFromLocator, validateInstanceName } from "./names.js";
import { overridesToSets, type Overrides } from "./overrides.js";

export interface CreateOptions extends Overrides {
  name?: string;
  home?: string;
  cwd?: string;
  templatesPath?: string[];
}

export interface Created {
  name: string;
  paths: InstancePaths;
  config: Config;
  warnings: string[];
}

/** Whether a start/create argument is a locator (file, URL, template) rather than an instance name. Pure. */
export function isLocator(arg: string): boolean {
  return arg.startsWith("template:") || /^[a-z]+:\/\//i.test(arg) || arg.includes("/") || /\.ya?ml$/i.test(arg) || arg === "-";
}

/**
 * Creates an instance from a locator without booting it: resolve the template, apply the flags,
 * validate; only then write lima.yaml (into a temporary directory renamed into place, so bad input
 * leaves nothing behind).
 */
export async function createInstance(locator: string, opts: CreateOptions = {}): Promise<Created> {
  const home = opts.home ?? tslimaHome();
  const cwd = opts.cwd ?? process.cwd();
  if (locator === "-" && opts.name === undefined) {
    throw new TslimaError("INVALID_FLAG", "must pass instance name with --name when reading template from stdin", { hint: "e.g. tslima create --name dev - < dev.yaml" });
  }
  const name = validateInstanceName(opts.name ?? nameFromLocator(locator));
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
  const sets = overridesToSets(opts, text, cwd);
  const finalText = sets.length > 0 ? applySets(text, sets, source) : text;
  const { config, warnings } = loadConfigText(finalText, source, { hostFacts: probeHostFacts(home), tslimaHome: home, instanceName: name });

  ensurePrivateHome(home);
  const tmp = makePrivateTempDir(home, `.create-${name}-`);
  try {
    writeFileAtomic(join(tmp, "lima.yaml"), finalText.endsWith("\n") ? finalText : `${finalText}\n`);
    moveIntoPlace(tmp, paths, `use \`tslima start ${name}\``);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { name, paths, config, warnings };
}

/** Applies flags to an existing instance's lima.yaml (validated before it is rewritten). */
export function editInstance(home: string, paths: InstancePaths, currentText: string, o: Overrides, cwd: string): string[] {
  const sets = overridesToSets(o, currentText, cwd);
  if (sets.length === 0) return [];
  const text = applySets(currentText, sets, paths.limaYaml);
  const { warnings } = loadConfigText(text, paths.limaYaml, { hostFacts: probeHostFacts(), tslimaHome: home, instanceName: paths.name });
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
