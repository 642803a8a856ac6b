import { TslimaError } from "../errors.js";

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * A size string as Lima writes it ("128KiB", "1MiB", "4k", "65536") in bytes. Like Lima's
 * units.RAMInBytes every unit is binary ("1KB" = 1024). `field` names the config field for the error.
 */
export function sizeBytes(text: string, field: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtTpP]?)(?:i?[bB])?\s*$/.exec(text);
  if (!m) {
    throw new TslimaError("CONFIG_SIZE", `${field}: cannot read size ${JSON.stringify(text)}`, {
      hint: `write ${field} as a number of bytes or with a unit, e.g. "128KiB" or "1MiB"`,
    });
  }
  const unit = UNITS[(m[2] ?? "").toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}
