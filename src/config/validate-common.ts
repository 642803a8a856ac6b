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
export const NOT_SUPPORTED = "not supported by tslima";

export function validatePort(path: Array<string | number>, port: number, out: Finding[]): void {
  if (!Number.isInteger(port) || port <= 0) out.push({ path, message: `must be a port number from 1 to 65535, got ${port}` });
  else if (port === 22) out.push({ path, message: "must not be 22 (the guest's SSH port)" });
  else if (port > 65535) out.push({ path, message: `must be < 65536, got ${port}` });
}
