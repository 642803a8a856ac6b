import { dirname, isAbsolute, join, posix, resolve } from "node:path";
import { TslimaError } from "../errors.js";
import type { Finding } from "./validate-common.js";

/**
 * Lima's `copyToHost`: files the host agent copies from the guest to the host once the guest is
 * ready (hostagent/copy-to-host.ts). Its `guest` and `host` paths are templates, executed when the
 * defaults are filled (defaults.ts: `guest` over the guest-side variables, `host` the host-side
 * ones); the entries stay in `config.extra`. Pure.
 */
export interface CopyToHostRule {
  /** Absolute path in the guest. */
  guest: string;
  /** Absolute path on the host (from lima.yaml, never from the guest). */
  host: string;
  /** A guest file that does not exist is skipped instead of failing the start. */
  skipIfMissing: boolean;
  /** The host copy is removed when the instance stops. */
  deleteOnStop: boolean;
}

/** The most a copy may be: the guest decides the size of what it sends. */
export const COPY_TO_HOST_MAX_BYTES = 64 * 1024 * 1024;

const entries = (value: unknown): Array<Record<string, unknown>> =>
  Array.isArray(value) ? value.map((x) => (x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {})) : [];

/** Lima's checks of `copyToHost` (both paths absolute), plus: both must be set. */
export function validateCopyToHost(value: unknown, out: Finding[]): void {
  entries(value).forEach((e, i) => {
    for (const [key, abs] of [["guest", (p: string) => posix.isAbsolute(p)], ["host", (p: string) => isAbsolute(p)]] as const) {
      const p = e[key];
      if (typeof p !== "string" || p === "") out.push({ path: ["copyToHost", i, key], message: `must be set to an absolute ${key} path` });
      else if (!abs(p)) out.push({ path: ["copyToHost", i, key], message: `must be an absolute path, got ${JSON.stringify(p)}` });
    }
  });
}

/**
 * The rules of a filled, validated config's `copyToHost` (its `extra.copyToHost`). A host path
 * directly in the instance directory, or under TSLIMA_HOME/_config, is refused: the guest decides
 * the content, and files there (ssh.config, the user key) are what tslima trusts. Lima's own
 * templates copy into `{{.Dir}}/copied-from-guest/`.
 */
export function copyToHostRules(extra: Record<string, unknown>, instanceDir: string): CopyToHostRule[] {
  return entries(extra.copyToHost).map((e, i) => {
    const rule: CopyToHostRule = {
      guest: String(e.guest),
      host: resolve(String(e.host)),
      skipIfMissing: e.skipIfMissing === true,
      deleteOnStop: e.deleteOnStop === true,
    };
    const config = join(dirname(instanceDir), "_config");
    if (dirname(rule.host) === resolve(instanceDir) || rule.host === config || rule.host.startsWith(`${config}/`)) {
      throw new TslimaError("CONFIG_INVALID", `copyToHost[${i}].host ${rule.host} is among tslima's own files (the instance directory or TSLIMA_HOME/_config): the guest would decide their content`, {
        hint: `copy into a directory of its own, e.g. host: "{{.Dir}}/copied-from-guest/${posix.basename(rule.guest)}"`,
      });
    }
    return rule;
  });
}
