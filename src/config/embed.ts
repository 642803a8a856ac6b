import { isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from "yaml";
import { getPair, getValue, isUnset, keyName, pairIndex, scalarText, setValue } from "./ast.js";

/**
 * Merges a fully resolved base template into a template, the way Lima 2.x embeds `base:`
 * (pkg/limatmpl/embed.go, the yq `mergeDocuments` script):
 * - a field the template sets (any non-map value, even `null`) wins; fields only in the base are copied;
 * - maps are merged field by field, recursively;
 * - lists present in both are concatenated, template entries first; except `provision` and `probes`,
 *   where the base's entries come first;
 * - `dns` is taken from the base only when the template has none;
 * - `mountTypesUnsupported` keeps each value once;
 * - `minimumLimaVersion` and `vmOpts.qemu.minimumVersion` keep the higher version.
 * Entries sharing a key (mounts by mountPoint, ...) are combined afterwards, see combine.ts.
 */
export function mergeBaseInto(tmpl: YAMLMap, base: YAMLMap): void {
  const tmplMinLima = scalarString(getValue(tmpl, "minimumLimaVersion"));
  const baseMinLima = scalarString(getValue(base, "minimumLimaVersion"));
  const tmplQemu = scalarString(getIn3(tmpl));
  const baseQemu = scalarString(getIn3(base));
  const hadDns = !isUnset(getValue(tmpl, "dns"));

  mergeMaps(tmpl, base, 0);

  if (hadDns) {
    // keep only the template's dns entries
    const pair = getPair(tmpl, "dns");
    const seq = pair?.value;
    if (isSeq(seq) && isSeq(getValue(base, "dns"))) {
      const baseItems = new Set((getValue(base, "dns") as YAMLSeq).items);
      seq.items = seq.items.filter((i) => !baseItems.has(i));
    }
  }
  const mtu = getValue(tmpl, "mountTypesUnsupported");
  if (isSeq(mtu)) {
    const seen = new Set<string>();
    mtu.items = mtu.items.filter((i) => {
      const v = isScalar(i) ? String(i.value) : String(i);
      if (seen.has(v)) return false;
      seen.add(v);
      return true;
    });
  }
  if (tmplMinLima && baseMinLima && compareVersions(baseMinLima, tmplMinLima) > 0) {
    setValue(tmpl, "minimumLimaVersion", getValue(base, "minimumLimaVersion") as never);
  }
  if (tmplQemu && baseQemu && compareVersions(baseQemu, tmplQemu) > 0) {
    const q = getValue(getValue(tmpl, "vmOpts") as YAMLMap, "qemu") as YAMLMap;
    setValue(q, "minimumVersion", getIn3(base) as never);
  }
}

function getIn3(m: YAMLMap): unknown {
  const vmOpts = getValue(m, "vmOpts");
  if (!isMap(vmOpts)) return undefined;
  const q = getValue(vmOpts, "qemu");
  return isMap(q) ? getValue(q, "minimumVersion") : undefined;
}

function scalarString(n: unknown): string | undefined {
  return scalarText(n);
}

function mergeMaps(a: YAMLMap, b: YAMLMap, depth: number): void {
  const index = pairIndex(a);
  for (const bp of b.items) {
    const k = keyName(bp);
    if (depth === 0 && k === "base") continue;
    const ap = index.get(k);
    if (!ap) {
      a.items.push(bp);
      index.set(k, bp);
      continue;
    }
    const av = ap.value;
    const bv = bp.value;
    if (isMap(av)) {
      if (isMap(bv)) mergeMaps(av, bv, depth + 1);
    } else if (isSeq(av)) {
      if (isSeq(bv)) {
        const prepend = depth === 0 && (k === "provision" || k === "probes");
        av.items = prepend ? [...bv.items, ...av.items] : [...av.items, ...bv.items];
      }
    }
    // any other value (scalar or null) in the template wins
  }
}

/** Compares dotted numeric versions ("2.0.0" < "2.1.0"); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, "").split(/[.-]/);
  const pb = b.replace(/^v/, "").split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? "0", 10) || 0;
    const y = Number.parseInt(pb[i] ?? "0", 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
