/**
 * caCerts.files: the user's certificate files, read on the host when the instance starts (as Lima
 * reads them when it writes the cidata), for the guest's trusted CAs. Each must be a regular file
 * holding PEM certificates; anything else fails the start naming the field and the file.
 */
import { readFileSync, statSync } from "node:fs";
import type { Config } from "../config/types.js";
import { expandTilde } from "../config/defaults.js";
import { TslimaError } from "../errors.js";

/** Larger than any bundle of certificates: a file this size is not one. */
const MAX_BYTES = 4 * 1024 * 1024;

/** The paths listed under caCerts.files (strings only; validation has refused the rest). */
export function caCertPaths(config: Config): string[] {
  const files = (config.extra.caCerts as { files?: unknown } | undefined)?.files;
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === "string") : [];
}

/** The text of each caCerts.files entry (`~` is the host user's home), in order. */
export function readCaCertFiles(config: Config, home: string, limaYaml: string): string[] {
  return caCertPaths(config).map((given, i) => {
    const path = expandTilde(given, home);
    const fail = (what: string, hint: string) => new TslimaError("CONFIG_CA_FILE", `caCerts.files[${i}] (${path}) in ${limaYaml}: ${what}`, { hint });
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) throw fail(st.isDirectory() ? "is a directory" : "is not a regular file", "list PEM certificate files under caCerts.files, not directories or devices");
      size = st.size;
    } catch (e) {
      if (e instanceof TslimaError) throw e;
      throw fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, "fix the path under caCerts.files, or make the file readable");
    }
    if (size > MAX_BYTES) throw fail(`is ${size} bytes, too large for a certificate file`, "list PEM certificate files under caCerts.files");
    const text = readFileSync(path, "utf8");
    if (!text.includes("-----BEGIN CERTIFICATE-----")) throw fail("holds no PEM certificate (-----BEGIN CERTIFICATE-----)", "convert it to PEM, e.g. openssl x509 -inform der -in FILE -out FILE.pem");
    return text;
  });
}
