import { TslimaError, isTslimaError } from "../errors.js";

/**
 * Runs `act` for each name in order, as Lima's commands taking several instances do: a failure does
 * not stop the others, and the failures are thrown together at the end (one error: itself; several:
 * one error with their messages on separate lines, the first one's code and hint).
 */
export async function eachName(names: string[], act: (name: string) => unknown): Promise<void> {
  const failed: unknown[] = [];
  for (const n of names) {
    try {
      await act(n);
    } catch (e) {
      if (!isTslimaError(e)) throw e;
      failed.push(e);
    }
  }
  if (failed.length === 0) return;
  const errs = failed as TslimaError[];
  const first = errs[0] as TslimaError;
  if (errs.length === 1) throw first;
  throw new TslimaError(first.code, errs.map((e) => e.message).join("\n"), {
    ...(first.hint !== undefined ? { hint: first.hint } : {}),
    lima: errs.map((e) => e.lima ?? e.message).join("\n"),
  });
}
