/**
 * One error type for everything a user can cause or fix. The CLI's single top-level handler prints
 * `error: MESSAGE` and `hint: HINT`, never a stack trace, and exits 1.
 */
export class TslimaError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TslimaError";
    this.code = code.startsWith("ERR_TSLIMA_") ? code : `ERR_TSLIMA_${code}`;
    this.hint = options?.hint;
  }
}

export function isTslimaError(e: unknown): e is TslimaError {
  return e instanceof TslimaError;
}
