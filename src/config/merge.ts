import { isMap, isSeq, Pair, YAMLMap, type YAMLSeq } from "yaml";
import { getValue, isUnset, keyName, newSeq, pairIndex, scalarText } from "./ast.js";
import { combineByPriority } from "./combine.js";
import { copyOrigin } from "./positions.js";

/**
 * Applies TSLIMA_HOME/_config/default.yaml (d) and override.yaml (o) to an instance's YAML (y), the way
 * Lima's FillDefault does, before builtin defaults are filled:
 * - scalars: o if set, else y if set, else d (else the builtin default, later);
 * - maps (env, param, hostResolver.hosts, nested settings): d < y < o, field by field;
 * - lists: o's entries, then y's, then d's (first matching portForwards rule wins, so o comes first);
 * - mounts: d, y, o order, entries with the same mountPoint combined (the higher priority fields win);
 * - networks: d, y, o order, entries with the same interface name combined;
 * - dns: the list of the highest priority file that has one.
 * The inputs are not modified; nodes are shared so positions still point into their own files.
 */
export function mergeDefaultOverride(
  d: YAMLMap | undefined,
  y: YAMLMap,
  o: YAMLMap | undefined,
  mountKey: (mount: YAMLMap) => string | undefined,
): YAMLMap {
  const empty = new YAMLMap();
  let merged = overlay(y, d ?? empty, 0, true);
  merged = overlay(o ?? empty, merged, 0, false);
  copyOrigin(merged, y);

  const listOf = (m: YAMLMap | undefined, key: string): unknown[] => {
    const v = m ? getValue(m, key) : undefined;
    return isSeq(v) ? v.items : [];
  };
  const setList = (key: string, items: unknown[], originFrom: unknown) => {
    const pair = merged.items.find((p) => keyName(p) === key);
    if (!pair) return;
    pair.value = newSeq(items, isSeq(originFrom) ? (originFrom) : undefined);
  };
  const all = (key: string) => [...listOf(d, key), ...listOf(y, key), ...listOf(o, key)];
  const firstSeq = (key: string) => [y, o, d].map((m) => (m ? getValue(m, key) : undefined)).find((v) => isSeq(v));

  setList("mounts", combineByPriority(all("mounts"), mountKey), firstSeq("mounts"));
  setList(
    "networks",
    combineByPriority(all("networks"), (n) => {
      return scalarText(getValue(n, "interface")) || undefined;
    }),
    firstSeq("networks"),
  );
  const dns = [o, y, d].map((m) => (m ? getValue(m, "dns") : undefined)).find((v) => isSeq(v) && v.items.length > 0);
  if (dns) setList("dns", (dns as YAMLSeq).items, dns);
  return merged;
}

function overlay(upper: YAMLMap, lower: YAMLMap, depth: number, upperFirst: boolean): YAMLMap {
  const out = new YAMLMap();
  copyOrigin(out, upper.items.length > 0 ? upper : lower);
  const upperPairs = pairIndex(upper);
  const lowerPairs = pairIndex(lower);
  const keys = new Set(upperFirst ? [...upperPairs.keys(), ...lowerPairs.keys()] : [...lowerPairs.keys(), ...upperPairs.keys()]);
  for (const k of keys) {
    const up = upperPairs.get(k);
    const lp = lowerPairs.get(k);
    const u = up?.value;
    const l = lp?.value;
    let value: unknown;
    let keyNode = up?.key ?? lp?.key;
    if (isUnset(u)) {
      value = lp ? l : u;
      keyNode = lp ? lp.key : keyNode;
    } else if (isUnset(l)) value = u;
    else if (isMap(u) && isMap(l)) value = overlay(u, l, depth + 1, upperFirst);
    else if (isSeq(u) && isSeq(l)) value = newSeq([...u.items, ...l.items], u);
    else value = u;
    out.items.push(new Pair(keyNode, value));
  }
  return out;
}
