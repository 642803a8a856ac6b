import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, type YAMLSeq } from "yaml";
import { fillMissing, getValue, isUnset, overwriteWith, scalarText } from "./ast.js";
import { copyOrigin } from "./positions.js";

/**
 * Combining list entries that share a key, after all bases are embedded (Lima's combineListEntries):
 * mounts by mountPoint (default: location), networks by interface, additionalDisks by name. The earlier
 * entry wins; fields it does not set are filled from the later one, which is then dropped. A key of
 * "*" fills every earlier entry.
 */
export function combineListEntries(root: YAMLMap): void {
  const mounts = getValue(root, "mounts");
  if (isSeq(mounts)) combineBy(mounts, mountKey, ["location", "mountPoint"]);
  const networks = getValue(root, "networks");
  if (isSeq(networks)) combineBy(networks, (n) => str(n, "interface"), ["interface"], true);
  const disks = getValue(root, "additionalDisks");
  if (isSeq(disks)) {
    disks.items = disks.items.map((d) => (isScalar(d) ? diskMap(d) : d));
    combineBy(disks, (n) => str(n, "name"), ["name"]);
  }
}

function diskMap(d: Scalar): YAMLMap {
  const m = new YAMLMap();
  m.items.push(new Pair(new Scalar("name"), d));
  copyOrigin(m, d);
  return m;
}

function str(n: YAMLMap, key: string): string | undefined {
  return scalarText(getValue(n, key));
}

export function mountKey(n: YAMLMap): string | undefined {
  return str(n, "mountPoint") ?? str(n, "location");
}

function combineBy(
  seq: YAMLSeq,
  keyOf: (n: YAMLMap) => string | undefined,
  skip: string[],
  networkRules = false,
): void {
  const index = new Map<string, number>();
  const out: unknown[] = [];
  for (const item of seq.items) {
    if (!isMap(item)) {
      out.push(item);
      continue;
    }
    const key = keyOf(item);
    const targets: YAMLMap[] = [];
    if (key === "*") {
      for (const o of out) if (isMap(o)) targets.push(o);
    } else if (key !== undefined && index.has(key)) {
      targets.push(out[index.get(key) as number] as YAMLMap);
    } else {
      if (key !== undefined && key !== "") index.set(key, out.length);
      out.push(item);
      continue;
    }
    for (const t of targets) {
      const skipHere = [...skip];
      if (networkRules && (!isUnset(getValue(t, "lima")) || !isUnset(getValue(t, "socket")))) skipHere.push("lima", "socket");
      if (key === "*" && !skipHere.includes("mountPoint")) skipHere.push("mountPoint");
      fillMissing(t, item, skipHere);
    }
  }
  seq.items = out;
}

/**
 * Combines entries of default.yaml, lima.yaml and override.yaml (given in that order, lowest priority
 * first) that share a key; the later (higher priority) entry's fields win. Used for mounts (key: the
 * expanded mountPoint) and networks (key: interface) when applying default.yaml/override.yaml.
 */
export function combineByPriority(items: unknown[], keyOf: (n: YAMLMap) => string | undefined): unknown[] {
  const index = new Map<string, number>();
  const out: unknown[] = [];
  for (const item of items) {
    if (!isMap(item)) {
      out.push(item);
      continue;
    }
    const key = keyOf(item);
    if (key !== undefined && key !== "" && index.has(key)) {
      const i = index.get(key) as number;
      const merged = new YAMLMap();
      merged.items = [...(out[i] as YAMLMap).items];
      copyOrigin(merged, out[i] as YAMLMap);
      overwriteWith(merged, item);
      out[i] = merged;
    } else {
      if (key !== undefined && key !== "") index.set(key, out.length);
      out.push(item);
    }
  }
  return out;
}
