import { TslimaError } from "../errors.js";

/** Durations for --timeout: "10m", "90s", "1h30m", "500ms", or plain seconds. Pure. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === "h" ? n * 3_600_000 : unit === "m" ? n * 60_000 : unit === "s" ? n * 1000 : n;
    consumed += m[0].length;
  }
  if (consumed !== t.length || t.length === 0) {
    throw new TslimaError("INVALID_FLAG", `--timeout ${JSON.stringify(s)} is not a duration`, { hint: "use e.g. --timeout 10m, 90s or 1h" });
  }
  return total;
}
