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
 * `images[]` of a document fetched by URL: each location (and kernel/initrd location) must be an
 * http(s) URL or `build:NAME`, never a file of this host (a raw "image" such as /dev/sda or
 * ~/.ssh/id_ed25519 would be the guest's disk).
 */
export function remoteImageIssues(root: YAMLMap, source: string): ConfigIssue[] {
  const images = getValue(root, "images");
  if (!isSeq(images)) return [];
  const out: ConfigIssue[] = [];
  images.items.forEach((img, i) => {
    if (!isMap(img)) return;
    const check = (node: unknown, path: Array<string | number>) => {
      if (!isScalar(node) || typeof node.value !== "string") return;
      const loc = node.value;
      if (isUrl(loc) || loc.startsWith("build:")) return;
      const p = nodePosition(node) ?? { source, line: 1, col: 1 };
      out.push({ source: p.source, line: p.line, col: p.col, field: fieldPath(path), message: `"${loc}" is not an http(s) URL or build:NAME, but ${source} ${remoteOrigin(source)}: an image of a template from the network must not be a file of this host` });
    };
    check(getValue(img, "location"), ["images", i, "location"]);
    for (const k of ["kernel", "initrd"] as const) {
      const sub = getValue(img, k);
      if (isMap(sub)) check(getValue(sub, "location"), ["images", i, k, "location"]);
    }
  });
  return out;
}
