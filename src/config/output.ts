import { stringify } from "yaml";
import { setOwn } from "./ast.js";
import type { Config } from "./types.js";

/**
 * `extra` without the fields a template leaves empty (Lima's default.yaml writes `cpuType:`,
 * `rosetta: {enabled: null}`, ...): null values and maps that hold nothing else are dropped.
 */
function pruneUnset(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v) => pruneUnset(v) ?? null);
  if (typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const pruned = pruneUnset(v);
    if (pruned !== undefined) setOwn(out, k, pruned);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The filled configuration as YAML with a stable key order (Config's field order; `extra` last, sorted, unset fields left out). */
export function configToYaml(config: Config): string {
  const { extra, ...rest } = config;
  const sortedExtra = Object.entries(extra)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, pruneUnset(v)] as const)
    .filter(([, v]) => v !== undefined);
  return stringify({ ...rest, ...Object.fromEntries(sortedExtra) }, { lineWidth: 0, aliasDuplicateObjects: false });
}
