import { TslimaError } from "../errors.js";

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Parses a size the way Lima does (go-units RAMInBytes): a number with an optional unit k, m, g, t, p,
 * optionally followed by "i" and/or "b", in any case, all binary (1024-based): "4GiB", "128KiB",
 * "100G", "512M", "1.5GiB", "4 GiB", or a plain number of bytes. Returns undefined when it does not parse.
 */
export function trySize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value.trim());
  if (!m) return undefined;
  const n = Number.parseFloat(m[1] as string);
  const unit = UNITS[(m[2] ?? "").toLowerCase()] as number;
  return Math.floor(n * unit);
}

/**
 * parseSize("4GiB") -> 4294967296; throws a TslimaError for text that is not a size. `field` names
 * the config field ("memory", "mounts[0].9p.msize") in the error.
 */
export function parseSize(value: string | number, field?: string): number {
  const n = trySize(value);
  if (n !== undefined) return n;
  if (field !== undefined) {
    throw new TslimaError("CONFIG_SIZE", `${field}: cannot read size ${JSON.stringify(value)}`, {
      hint: `write ${field} as a number of bytes or with a unit in lima.yaml, e.g. "4GiB" or "128KiB"`,
    });
  }
  throw new TslimaError("BAD_SIZE", `invalid size ${JSON.stringify(value)}`, {
    hint: 'write sizes like "4GiB", "512MiB", "100G" or a plain number of bytes',
  });
}

/** Bytes in the largest binary unit that keeps the value at least 1: 1536 -> [1.5, "KiB"]. */
export function scaleBytes(n: number): [number, string] {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return [v, units[u] ?? "B"];
}

/** Formats bytes the way Lima writes default sizes: "4GiB", "1536MiB", "100KiB", or bytes. */
export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  if (bytes >= 1024 ** 2) return `${Math.floor(bytes / 1024 ** 2)}MiB`;
  return String(bytes);
}
