import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, isSeq, Scalar, type YAMLMap } from "yaml";
import { getValue, isUnset, removeKey, scalarText, setValue } from "./ast.js";
import { combineListEntries } from "./combine.js";
import { mergeBaseInto } from "./embed.js";
import { ConfigError, fieldPath } from "./errors.js";
import { parseYaml, type LoadedYaml } from "./load.js";
import { nodePosition } from "./positions.js";
import { findTemplate, NotRegularFileError, readTemplateFile, templateSearchDirs } from "./templates.js";
import { HOST_REF_HINT, hostRefMessage, isUrl, remoteHostFileIssues } from "./remote-refs.js";
import { resolveCustomLocator } from "./url-plugins.js";
import { resolveGithubLocator } from "./github-io.js";
import { UrlCache } from "./url-cache.js";

export interface ResolveOptions {
  /** TSLIMA_HOME, for `_config/base.yaml` (a base every template gets first, with `defaultBase`). */
  tslimaHome?: string;
  /** Embed TSLIMA_HOME/_config/base.yaml first, as Lima does when an instance is created. */
  defaultBase?: boolean;
  /** Directories searched after the bundled templates; default: TSLIMA_TEMPLATES_PATH. */
  templatesPath?: string[];
  /** Directory a relative top-level locator is resolved against; default process.cwd(). */
  cwd?: string;
  /** Home for `~` in file locators. */
  home?: string;
}

/** Thrown by the synchronous resolver when it needs a URL it has not fetched yet. */
class NeedFetch extends Error {
  constructor(readonly url: string) {
    super(`fetch ${url}`);
  }
}



function errorAt(node: unknown, fallbackSource: string, field: string, message: string, hint?: string): ConfigError {
  const p = nodePosition(node) ?? { source: fallbackSource, line: 1, col: 1 };
  return new ConfigError([{ source: p.source, line: p.line, col: p.col, field, message }], hint ? { hint } : undefined);
}

/**
 * Reads what a locator names: `template:NAME` (also Lima 1.x `template://NAME`), an http(s) URL,
 * `file://PATH`, or a path relative to the including file (or `cwd` at the top level).
 */
export function readLocator(
  locator: string,
  including: string | undefined,
  opts: ResolveOptions,
  cache: UrlCache,
): { text: string; source: string } {
  // SCHEME:REST with a limactl-url-SCHEME plugin, except in a remote document (it may not run host programs)
  if (including === undefined || !cache.remote(including)) {
    const custom = cache.resolveCustom(locator);
    if (custom.via !== undefined) {
      const read = readLocator(custom.locator, undefined, opts, cache);
      if (!isUrl(read.source)) cache.untrusted.add(read.source);
      return read;
    }
  }
  if (locator.startsWith("template:")) {
    const name = locator.replace(/^template:(\/\/)?/, "");
    const dirs = templateSearchDirs(opts.templatesPath);
    const found = findTemplate(name, dirs);
    if (!found) {
      throw new ConfigError([{ source: including ?? locator, line: 1, col: 1, field: "(locator)", message: `template "${name}" not found in ${dirs.join(", ")} (add the directory that holds it to TSLIMA_TEMPLATES_PATH)` }], {
        hint: "run `tslima template list` to see the templates, or add a directory to TSLIMA_TEMPLATES_PATH",
      });
    }
    return readTemplateFile(found);
  }
  if (locator.startsWith("github:")) {
    // a github: locator stands for a raw-content URL (github.ts), read as any URL
    const url = cache.github.get(locator);
    if (url === undefined) throw new NeedFetch(locator);
    return readLocator(url, including, opts, cache);
  }
  let target = locator;
  if (!isUrl(target) && including && isUrl(including) && !target.startsWith("file://") && !isAbsolute(target)) {
    target = new URL(target, including).href;
  }
  if (isUrl(target)) {
    const text = cache.get(target);
    if (text === undefined) throw new NeedFetch(target);
    return { text, source: target };
  }
  if (including !== undefined && cache.remote(including)) {
    throw new ConfigError([{ source: including, line: 1, col: 1, field: "(locator)", message: hostRefMessage(locator, including) }], { hint: HOST_REF_HINT });
  }
  const hint = including
    ? `check the base: entry in ${including}`
    : "check the path; an instance NAME, template:NAME or a URL are accepted too (`tslima template list`)";
  const fail = (message: string) => new ConfigError([{ source: including ?? (locator.trim() || "(empty locator)"), line: 1, col: 1, field: "(file)", message }], { hint });
  if (locator.trim() === "") throw fail("the locator is empty; name a file, template:NAME or an http(s) URL");
  let path = target;
  if (target.startsWith("file://")) {
    try {
      path = fileURLToPath(target);
    } catch (e) {
      // file://HOST/... and encoded slashes (%2f) name no local file
      throw fail(`"${locator}" is not a local file URL (${(e as Error).message}); write file:///ABSOLUTE/PATH or a plain path`);
    }
  }
  if ((path === "~" || path.startsWith("~/")) && opts.home) path = join(opts.home, path.slice(1));
  const baseDir = including && !isUrl(including) ? dirname(resolve(opts.cwd ?? process.cwd(), including)) : (opts.cwd ?? process.cwd());
  path = resolve(baseDir, path);
  try {
    return readTemplateFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(locator)?.[1];
    if (code === "ENOENT" && scheme !== undefined && !target.startsWith("file://")) {
      throw fail(`"${locator}" has the locator scheme "${scheme}:", which tslima does not know, and no limactl-url-${scheme} plugin is on PATH: use template:NAME, an http(s) URL, file:// or a path, or install the plugin`);
    }
    const why: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory", ELOOP: "too many symbolic links", ENAMETOOLONG: "the name is too long", ENOTDIR: "a part of the path is not a directory", ENXIO: "it is a socket or device without a reader" };
    const reason = e instanceof NotRegularFileError ? e.message : (why[code] ?? (code || (e as Error).message));
    throw fail(`cannot read ${path}: ${reason}`);
  }
}

interface BaseRef {
  url: string;
  digest?: string;
  node: unknown;
  field: string;
  /** TSLIMA_HOME/_config/base.yaml: added by tslima, not named by the document (read as a top-level path). */
  own?: boolean;
}

function baseRefs(root: YAMLMap, source: string): BaseRef[] {
  const node = getValue(root, "base");
  if (isUnset(node)) return [];
  const one = (n: unknown, field: string): BaseRef => {
    if (isScalar(n) && typeof n.value === "string") return { url: n.value, node: n, field };
    if (isMap(n)) {
      const url = getValue(n, "url");
      const digest = getValue(n, "digest");
      if (isScalar(url) && typeof url.value === "string") {
        return { url: url.value, digest: scalarText(digest) || undefined, node: url, field: `${field}.url` };
      }
    }
    throw errorAt(n, source, field, "a base locator must be a string or a map with `url` (and optional `digest`)");
  };
  if (isSeq(node)) return node.items.map((n, i) => one(n, fieldPath(["base", i])));
  return [one(node, "base")];
}

function checkDigest(ref: BaseRef, text: string, source: string, including: string): void {
  if (!ref.digest) return;
  const m = /^(sha256|sha512):([0-9a-f]+)$/i.exec(ref.digest);
  if (!m) throw errorAt(ref.node, including, ref.field, `digest "${ref.digest}" must be sha256:HEX or sha512:HEX`);
  const got = createHash((m[1] as string).toLowerCase()).update(text).digest("hex");
  if (got !== (m[2] as string).toLowerCase()) {
    throw errorAt(ref.node, including, ref.field, `digest mismatch for ${source}: expected ${ref.digest}, got ${m[1]}:${got}`);
  }
}

/** Replaces `file:` of provision/probe entries with the file's text (script, content or expression). */
function inlineScripts(root: YAMLMap, source: string, opts: ResolveOptions, cache: UrlCache): void {
  for (const list of ["provision", "probes"] as const) {
    const seq = getValue(root, list);
    if (!isSeq(seq)) continue;
    seq.items.forEach((item, i) => {
      if (!isMap(item)) return;
      const file = getValue(item, "file");
      if (isUnset(file)) return;
      const mode = getValue(item, "mode");
      const modeName = isScalar(mode) ? String(mode.value) : "";
      const target = modeName === "data" ? "content" : modeName === "yq" ? "expression" : "script";
      if (!isUnset(getValue(item, target))) return;
      const url = isScalar(file) ? file.value : isMap(file) ? (getValue(file, "url") as Scalar | undefined)?.value : undefined;
      if (typeof url !== "string") throw errorAt(file, source, fieldPath([list, i, "file"]), "must be a string or a map with `url`");
      let read;
      try {
        read = readLocator(url, source, opts, cache);
      } catch (e) {
        if (e instanceof ConfigError && e.issues[0]) throw errorAt(file, source, fieldPath([list, i, "file"]), e.issues[0].message, e.hint);
        throw e;
      }
      const s = new Scalar(read.text);
      s.type = Scalar.BLOCK_LITERAL;
      setValue(item, target, s);
      removeKey(item, "file");
    });
  }
}

/** A document fetched by URL whose images[] (or other file fields, remote-refs.ts) name host files: every such entry, positioned. */
function refuseRemoteHostFiles(root: YAMLMap, source: string, cache: UrlCache): void {
  if (!cache.remote(source)) return;
  const issues = remoteHostFileIssues(root, source);
  if (issues.length > 0) throw new ConfigError(issues, { hint: HOST_REF_HINT });
}

function embedBases(loaded: LoadedYaml, chain: string[], opts: ResolveOptions, cache: UrlCache, top: boolean): void {
  const { root, source } = loaded;
  const refs = baseRefs(root, source);
  if (top && opts.defaultBase && opts.tslimaHome) {
    const defaultBase = join(opts.tslimaHome, "_config", "base.yaml");
    if (existsSync(defaultBase)) refs.unshift({ url: defaultBase, node: undefined, field: "base", own: true });
  }
  const basePair = root.items.find((p) => isScalar(p.key) && p.key.value === "base");
  const baseComment = basePair && isScalar(basePair.key) ? basePair.key.commentBefore : undefined;
  if (top && baseComment) {
    // keep a comment written above `base:` (often the file's header) when `base:` goes away
    loaded.doc.commentBefore = loaded.doc.commentBefore ? `${loaded.doc.commentBefore}\n${baseComment}` : baseComment;
  }
  removeKey(root, "base");
  for (const ref of refs) {
    let read;
    try {
      read = readLocator(ref.url, ref.own ? undefined : source, opts, cache);
    } catch (e) {
      if (e instanceof ConfigError && e.issues[0]) throw errorAt(ref.node, source, ref.field, e.issues[0].message, e.hint);
      throw e;
    }
    if (chain.includes(read.source)) {
      const cycle = [...chain.slice(chain.indexOf(read.source)), read.source].join(" -> ");
      throw errorAt(ref.node, source, ref.field, `base template cycle: ${cycle}`, "remove one of the `base:` entries that form the cycle");
    }
    checkDigest(ref, read.text, read.source, source);
    const base = parseYaml(read.text, read.source);
    refuseRemoteHostFiles(base.root, read.source, cache);
    inlineScripts(base.root, read.source, opts, cache);
    embedBases(base, [...chain, read.source], opts, cache, false);
    mergeBaseInto(root, base.root);
  }
}

function canonical(source: string, opts: ResolveOptions): string {
  return isUrl(source) ? source : resolve(opts.cwd ?? process.cwd(), source);
}

/** Resolves `base:` (recursively) and inlines script files; throws NeedFetch for unfetched URLs. */
function resolveSync(text: string, source: string, opts: ResolveOptions, cache: UrlCache): LoadedYaml {
  const loaded = parseYaml(text, source);
  refuseRemoteHostFiles(loaded.root, source, cache);
  inlineScripts(loaded.root, source, opts, cache);
  embedBases(loaded, [canonical(source, opts)], opts, cache, true);
  combineListEntries(loaded.root);
  return loaded;
}

/** Synchronous base resolution for local files and templates (URL bases need resolveBases()). */
export function resolveBasesSync(text: string, source: string, opts: ResolveOptions): LoadedYaml {
  try {
    return resolveSync(text, source, opts, new UrlCache());
  } catch (e) {
    if (e instanceof NeedFetch) {
      throw new ConfigError([{ source, line: 1, col: 1, field: "base", message: `base ${e.url} is a URL; it must be resolved first (tslima create/validate do this)` }]);
    }
    throw e;
  }
}

export async function fetchText(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new ConfigError([{ source: url, line: 1, col: 1, field: "(locator)", message: `cannot fetch ${url}: ${cause}` }], {
      hint: "check the URL and the network, or download the file and use its local path",
    });
  }
  if (!res.ok) {
    throw new ConfigError([{ source: url, line: 1, col: 1, field: "(locator)", message: `cannot fetch ${url}: HTTP ${res.status}` }]);
  }
  return res.text();
}

/**
 * Resolves `base:` recursively, fetching http(s) templates with the global fetch. `untrusted`: the
 * document is local but a plugin named it (readTopLocator's `via`); it is read as a remote template.
 */
export async function resolveBases(text: string, source: string, opts: ResolveOptions, untrusted = false): Promise<LoadedYaml> {
  const cache = new UrlCache(untrusted ? source : undefined);
  for (;;) {
    try {
      return resolveSync(text, source, opts, cache);
    } catch (e) {
      if (!(e instanceof NeedFetch)) throw e;
      if (e.url.startsWith("github:")) cache.github.set(e.url, await resolveGithubLocator(e.url));
      else cache.set(e.url, await fetchText(e.url));
    }
  }
}

/**
 * Reads a top-level locator (path, template:NAME, URL, or SCHEME:REST of a limactl-url-SCHEME plugin:
 * `via` is then the plugin's path, and `source` what it led to).
 */
export async function readTopLocator(locator: string, opts: ResolveOptions): Promise<{ text: string; source: string; via?: string }> {
  const custom = resolveCustomLocator(locator);
  if (custom.via !== undefined) {
    const read = isUrl(custom.locator) ? { text: await fetchText(custom.locator), source: custom.locator } : readLocator(custom.locator, undefined, opts, new UrlCache());
    return { ...read, via: custom.via };
  }
  if (isUrl(locator)) return { text: await fetchText(locator), source: locator };
  if (locator.startsWith("github:")) {
    const url = await resolveGithubLocator(locator);
    return { text: await fetchText(url), source: url };
  }
  // `-`: the template is on stdin (Lima's `limactl create --name NAME -`)
  if (locator === "-") return { text: readFileSync(0, "utf8"), source: "-" };
  return readLocator(locator, undefined, opts, new UrlCache());
}

