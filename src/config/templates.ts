import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where `template:NAME` is looked up: tslima's bundled templates (src/templates, found relative to this
 * module so it works from dist/), then each directory of TSLIMA_TEMPLATES_PATH (colon-separated).
 * The first directory holding NAME.yaml wins. NAME may contain "/" (e.g. `_images/ubuntu`).
 */
export function bundledTemplatesDir(): string {
  // dist/src/config/templates.js -> <repo>/src/templates/
  return fileURLToPath(new URL("../../../src/templates/", import.meta.url));
}

export function templatesPathFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.TSLIMA_TEMPLATES_PATH ?? "").split(":").filter((d) => d !== "");
}

export function templateSearchDirs(templatesPath?: string[]): string[] {
  return [bundledTemplatesDir(), ...(templatesPath ?? templatesPathFromEnv())];
}

/** A template name is a relative path without ".." steps (and without the .yaml suffix). */
export function isValidTemplateName(name: string): boolean {
  return name !== "" && !isAbsolute(name) && !name.split("/").some((p) => p === ".." || p === "." || p === "");
}

export function findTemplate(name: string, dirs: string[]): string | undefined {
  const base = name.endsWith(".yaml") ? name.slice(0, -5) : name;
  if (!isValidTemplateName(base)) return undefined;
  for (const dir of dirs) {
    const p = join(dir, `${base}.yaml`);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

export interface TemplateEntry {
  name: string;
  path: string;
  dir: string;
}

/**
 * Every template by name, first directory winning. Names under a directory starting with "_"
 * (`_images/`, `_default/`) are building blocks for `base:` and are listed only with `all`.
 */
export function listTemplates(dirs: string[], all = false): TemplateEntry[] {
  const byName = new Map<string, TemplateEntry>();
  for (const dir of dirs) {
    for (const file of walkYaml(dir)) {
      const name = relative(dir, file).split(sep).join("/").replace(/\.yaml$/, "");
      if (!all && name.split("/").some((p) => p.startsWith("_"))) continue;
      if (!byName.has(name)) byName.set(name, { name, path: file, dir });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function walkYaml(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) out.push(...walkYaml(p));
    else if (e.endsWith(".yaml")) out.push(p);
  }
  return out;
}

/** Refusal to read something that is not a regular file (reading a FIFO would block forever). */
export class NotRegularFileError extends Error {}

/** A configuration file larger than this is refused before it is read. */
export const MAX_CONFIG_BYTES = 16 * 1024 ** 2;

function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Reads a regular file as UTF-8. Anything else (FIFO, device, directory) and files over
 * MAX_CONFIG_BYTES are refused with NotRegularFileError before a byte is read: the file is opened
 * non-blocking and checked on the open descriptor, so reading can never wait for a writer.
 */
export function readRegularFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(`it is ${fileKind(st)}, not a regular file`);
    if (st.size > MAX_CONFIG_BYTES) throw new NotRegularFileError(`it is ${st.size} bytes, more than a configuration file may have (${MAX_CONFIG_BYTES})`);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a template file, following "symlink stubs": a file whose whole text is just another file
 * name ending in .yaml in the same directory (how git checks out Lima's symlinked templates such as
 * `ubuntu-lts.yaml` when symlinks are not available). Returns the text and the file finally read.
 */
export function readTemplateFile(path: string): { text: string; source: string } {
  let current = path;
  for (let hops = 0; hops < 8; hops++) {
    const text = readRegularFile(current);
    const stub = /^\s*([^\s:/][^\s:]*\.ya?ml)\s*$/.exec(text);
    if (!stub) return { text, source: current };
    const next = join(dirname(current), stub[1] as string);
    if (!existsSync(next)) return { text, source: current };
    current = next;
  }
  return { text: readRegularFile(current), source: current };
}
