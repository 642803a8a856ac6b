import type { Finding } from "./validate-common.js";

/**
 * Fields of Lima's YAML that tslima accepts but does not act on. Each one that a configuration sets to
 * something that asks for an effect gets one warning (at its first occurrence), so nothing is ignored
 * silently. Fields tslima refuses are errors in validate*.ts instead; fields whose Lima meaning tslima
 * already has without doing anything are not listed:
 * - minimumLimaVersion: tslima reads Lima 2.x YAML;
 * - images[].variant / archVariant: labels for limactl's --image-variant flags; without them Lima uses
 *   the first image of the arch, as tslima does;
 * - provision[].skipDefaultDependencyResolution: tslima installs no default dependencies.
 */
interface IgnoredField {
  /** Keys from the top; "*" is every item of a list. */
  path: string[];
  /** Whether the value asks for something (default: set to anything but null, "", false, [] or {}). */
  asks?: (value: unknown) => boolean;
  why: string;
}

const isTrue = (v: unknown) => v === true;
const someTrue = (v: unknown) => v !== null && typeof v === "object" && Object.values(v).some(isTrue);
/** Set to anything but an empty value; a map counts when one of its fields does. */
function isSet(v: unknown): boolean {
  if (v === null || v === undefined || v === "" || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.values(v).some(isSet);
  return true;
}

const IGNORED: IgnoredField[] = [
  { path: ["vmOpts", "qemu", "minimumVersion"], why: "the QEMU version is not checked against it" },
  { path: ["vmOpts", "vz"], why: "options for vmType vz, which tslima does not run" },
  { path: ["osOpts"], why: "options for non-Linux guests" },
  { path: ["rosetta"], asks: someTrue, why: "Rosetta needs vmType vz on macOS" },
  { path: ["mounts", "*", "sshfs", "sftpDriver"], why: "reverse-sshfs always uses the host's OpenSSH sftp-server" },
  { path: ["ssh", "overVsock"], asks: isTrue, why: "SSH always goes over the forwarded TCP port" },
  { path: ["provision", "*", "user"], why: "Lima 2.x has no such field (its Provision type has none): system, dependency and boot scripts run as root, user scripts as the instance user, data and yq files are written with owner:" },
  { path: ["networks", "*", "socket"], why: "socket networks are not attached; the guest has the user-mode network only" },
  { path: ["guestInstallPrefix"], why: "tslima installs no guest agent" },
  { path: ["nestedVirtualization"], asks: isTrue, why: "a vmType vz/krunkit feature (Apple M3 or later) in Lima; with QEMU, KVM's `-cpu host` already passes the host's virtualization extensions, and TCG has none to give" },
];

/** The first path (with list indexes) below `value` that matches `pattern` and asks for something. */
function firstMatch(value: unknown, pattern: string[], asks: (v: unknown) => boolean, at: Array<string | number> = []): Array<string | number> | undefined {
  const [step, ...rest] = pattern;
  if (step === undefined) return asks(value) ? at : undefined;
  if (step === "*") {
    if (!Array.isArray(value)) return undefined;
    for (const [i, item] of value.entries()) {
      const found = firstMatch(item, rest, asks, [...at, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, step)) return undefined;
  return firstMatch((value as Record<string, unknown>)[step], rest, asks, [...at, step]);
}

/** One warning per field that tslima accepts but ignores, for the merged YAML before defaults. */
export function ignoredFields(raw: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  for (const f of IGNORED) {
    const path = firstMatch(raw, f.path, f.asks ?? isSet);
    if (path) out.push({ path, message: `is ignored by tslima: ${f.why}`, warning: true });
  }
  return out;
}
