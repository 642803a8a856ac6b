/** A problem (or, with `warning`, a remark) about one field, positioned later by the caller. */
export interface Finding {
  path: Array<string | number>;
  message: string;
  /** Warnings do not make a configuration invalid. */
  warning?: boolean;
}

/** `"a", "b", "c"`: the values a field may take, for messages. */
export const oneOf = (values: string[]): string => values.map((v) => `"${v}"`).join(", ");

/** Every refusal of a feature tslima leaves out on purpose says this, so callers can tell them apart. */
/** Hex digits of each digest algorithm tslima checks downloads with (images/digest.ts). */
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** A `digest:` field: ALGORITHM:HEX of one of `algorithms`, lowercase; a finding at `path` otherwise. */
export function validateDigest(path: Array<string | number>, digest: string | undefined, algorithms: string[], out: Finding[]): void {
  if (digest === undefined) return;
  const m = /^([a-z0-9]+):([0-9a-f]+)$/.exec(digest);
  if (m && algorithms.includes(m[1]!) && m[2]!.length === DIGEST_HEX[m[1]!]) return;
  const names = algorithms.map((a) => `"${a}:"`);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)!}` : names.join("");
  out.push({ path, message: `must be ${list} followed by the lowercase hex digest, got "${digest}"` });
}

export const NOT_SUPPORTED = "not supported by tslima";

export function validatePort(path: Array<string | number>, port: number, out: Finding[]): void {
  if (!Number.isInteger(port) || port <= 0) out.push({ path, message: `must be a port number from 1 to 65535, got ${port}` });
  else if (port === 22) out.push({ path, message: "must not be 22 (the guest's SSH port)" });
  else if (port > 65535) out.push({ path, message: `must be < 65536, got ${port}` });
}
