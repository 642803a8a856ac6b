/**
 * What a template fetched by URL may refer to (issue 24): a document from the network must not make
 * tslima read a host file into the instance. It may name http(s) URLs, paths relative to its own URL
 * (resolved to URLs), `template:NAME` (the template directories the user chose) and, as image,
 * `build:NAME`; an absolute path, `~`, `file://` or any other scheme is refused at its position.
 * Pure.
 */
import { isMap, isScalar, isSeq, type YAMLMap } from "yaml";
import { getValue } from "./ast.js";
import { fieldPath, type ConfigIssue } from "./errors.js";
import { nodePosition } from "./positions.js";

export const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** How a document came to be remote: fetched from a URL, or named by a limactl-url-SCHEME plugin (url-plugins.ts). Pure. */
export function remoteOrigin(source: string): string {
  return isUrl(source) ? "was fetched from a URL" : "was named by a limactl-url plugin (treated as a template from the network)";
}

/** The message for a locator in a URL document that names a host file. */
export function hostRefMessage(locator: string, including: string): string {
  return `"${locator}" names a file on this host, but ${including} ${remoteOrigin(including)}: a template from the network may only refer to http(s) URLs, paths relative to its own URL, or template:NAME`;
}

/** The hint every such refusal carries. */
export const HOST_REF_HINT = "download the template and the files it names, read them, and use the local copy (a local template may name local files)";

/**
 * The fields of a document fetched by URL that name files tslima reads into the instance or writes
 * from it, each refused at its position unless it is safe: `images[]` (and their kernel/initrd
 * locations) must be http(s) URLs or `build:NAME` (a raw "image" such as /dev/sda or
 * ~/.ssh/id_ed25519 would be the guest's disk); `firmware.images[]` and `containerd.archives[]`
 * locations http(s) URLs (the guest reads the firmware and the cidata's archive); `caCerts.files`
 * not at all (each is a host file put into the guest); `copyToHost[].host` only under the instance
 * directory (`{{.Dir}}/...` without `..`: the guest decides the content of that file).
 */
export function remoteHostFileIssues(root: YAMLMap, source: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const check = (node: unknown, path: Array<string | number>, ok: (s: string) => boolean, why: (s: string) => string) => {
    if (!isScalar(node) || typeof node.value !== "string" || ok(node.value)) return;
    const p = nodePosition(node) ?? { source, line: 1, col: 1 };
    out.push({ source: p.source, line: p.line, col: p.col, field: fieldPath(path), message: `${why(node.value)}, but ${source} ${remoteOrigin(source)}: ${WHAT[String(path[0])]}` });
  };
  const items = (...keys: string[]): unknown[] => {
    let node: unknown = root;
    for (const k of keys) node = isMap(node) ? getValue(node, k) : undefined;
    return isSeq(node) ? node.items : [];
  };
  const notUrl = (what: string) => (loc: string) => `"${loc}" is not an http(s) URL${what}`;
  items("images").forEach((img, i) => {
    if (!isMap(img)) return;
    const ok = (loc: string) => isUrl(loc) || loc.startsWith("build:");
    check(getValue(img, "location"), ["images", i, "location"], ok, notUrl(" or build:NAME"));
    for (const k of ["kernel", "initrd"] as const) {
      const sub = getValue(img, k);
      if (isMap(sub)) check(getValue(sub, "location"), ["images", i, k, "location"], ok, notUrl(" or build:NAME"));
    }
  });
  for (const [key, sub] of [["firmware", "images"], ["containerd", "archives"]] as const) {
    items(key, sub).forEach((f, i) => {
      if (isMap(f)) check(getValue(f, "location"), [key, sub, i, "location"], isUrl, notUrl(""));
    });
  }
  items("caCerts", "files").forEach((f, i) => check(f, ["caCerts", "files", i], () => false, (path) => `"${path}" is a file of this host`));
  items("copyToHost").forEach((c, i) => {
    if (!isMap(c)) return;
    const inDir = (h: string) => h.startsWith("{{.Dir}}/") && !h.split("/").includes("..");
    check(getValue(c, "host"), ["copyToHost", i, "host"], inDir, (h) => `"${h}" is not a path under {{.Dir}}/`);
  });
  return out;
}

/** What each refused field of a template from the network may not do. */
const WHAT: Record<string, string> = {
  images: "an image of a template from the network must not be a file of this host",
  firmware: "a firmware file of a template from the network must not be a file of this host",
  containerd: "an archive of a template from the network must not be a file of this host",
  caCerts: "a template from the network cannot put host files into the guest; list CA files in a local template or lima.yaml",
  copyToHost: "a template from the network may only copy guest files into the instance's directory, never elsewhere on this host",
};
