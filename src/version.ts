import { readFileSync } from "node:fs";

/**
 * Versions (light entry `tslima/version`: no other module of tslima is loaded with it).
 *
 * LIMA_VERSION is the one place that says which Lima release tslima's CLI, YAML and JSON follow;
 * raise it when tslima follows a newer one. Tools written for Lima (Colima, Rancher Desktop, scripts)
 * read `limactl --version` and `limactl info`'s `version` to require a minimum Lima, so those report
 * LIMA_COMPAT_VERSION: Lima's version with tslima's own as semver build metadata
 * ("2.2.0+tslima.0.1.0"), which every semver comparison, and Lima's own version parser, orders as 2.2.0.
 */
export const LIMA_VERSION = "2.2.0";

/** tslima's own version, from package.json. */
export const TSLIMA_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * What the `limactl` name and `info` report as the Lima version: LIMA_VERSION+tslima.TSLIMA_VERSION
 * (a character semver does not allow in build metadata, such as a second "+", becomes "-").
 */
export const LIMA_COMPAT_VERSION = `${LIMA_VERSION}+tslima.${TSLIMA_VERSION.replace(/[^0-9A-Za-z.-]/g, "-")}`;
