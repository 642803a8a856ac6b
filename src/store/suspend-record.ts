/**
 * The record of a suspended instance (`<instance>/suspend.json`), as data: what was saved, with
 * which QEMU command line, against which disk files. Pure: reading, validating and comparing.
 *
 * A saved state may only be restored against exactly the disks it was saved with and exactly the
 * same virtual hardware: `resumeObstacle` says why not, in one line, or undefined when it may.
 */

/** 2: argv as hardwareArgv() with the owner blanked (version 1 kept the instance's paths and name). */
export const SUSPEND_RECORD_VERSION = 2;

/** Who a file is: enough to notice any change made after the state was saved. */
export interface FileIdentity {
  size: number;
  /** Nanoseconds since the epoch (a bigint as a decimal string). */
  mtimeNs: string;
  /** inode and device numbers (decimal strings): a replaced file is another file. */
  ino: string;
  dev: string;
  /** sha256 of the first 64 KiB (the qcow2 header and its tables' first entries). */
  headSha256: string;
}

export interface SuspendRecord {
  version: typeof SUSPEND_RECORD_VERSION;
  /** When the state was saved (ISO 8601). */
  savedAt: string;
  /** The QEMU that saved it (a restore needs the same build). */
  qemu: { binary: string; version: string };
  /** The QEMU command line it ran with (without the binary), as compared by hardwareArgv(). */
  argv: string[];
  /** The ssh port it ran with (reused on resume when free); none for an instance made from a snapshot. */
  sshPort?: number;
  /** Bytes of the saved state file (`vmstate`). */
  stateBytes: number;
  /** The instance's disk files by file name (diffdisk, basedisk, snapshotdisk and efi-vars.fd when there are). */
  disks: Record<string, FileIdentity>;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isDecimal = (v: unknown): v is string => isString(v) && /^\d+$/.test(v);

function identityProblem(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null) return "not an object";
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.size) || (o.size as number) < 0) return "size";
  for (const k of ["mtimeNs", "ino", "dev"] as const) if (!isDecimal(o[k])) return k;
  if (!isString(o.headSha256) || !/^[0-9a-f]{64}$/.test(o.headSha256)) return "headSha256";
  return undefined;
}

/**
 * What every saved-state record (suspend.json, snapshot.json) starts with: a JSON object of the
 * expected `version`, a time in `timeField`, the QEMU `{ binary, version }` and a non-empty `argv`.
 * Returns the object, or what is wrong with it. Pure.
 */
export function savedStateFields(text: string, version: number, timeField: string): { o: Record<string, unknown> } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { problem: "it is not JSON" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { problem: "it is not an object" };
  const o = v as Record<string, unknown>;
  if (o.version !== version) return { problem: `its version is ${JSON.stringify(o.version)}, not ${version}` };
  const at = o[timeField];
  if (!isString(at) || Number.isNaN(Date.parse(at))) return { problem: `${timeField} is not a time` };
  const q = o.qemu as Record<string, unknown> | undefined;
  if (typeof q !== "object" || q === null || !isString(q.binary) || !isString(q.version)) return { problem: "qemu is not {binary, version}" };
  if (!Array.isArray(o.argv) || o.argv.length === 0 || !o.argv.every(isString)) return { problem: "argv is not a list of strings" };
  if (!Number.isSafeInteger(o.stateBytes) || (o.stateBytes as number) <= 0) return { problem: "stateBytes is not a size" };
  return { o };
}

/** Reads suspend.json's text: the record, or what is wrong with it (a half-written or foreign file). */
export function parseSuspendRecord(text: string): { record: SuspendRecord } | { problem: string } {
  const read = savedStateFields(text, SUSPEND_RECORD_VERSION, "savedAt");
  if ("problem" in read) return read;
  const { o } = read;
  if (o.sshPort !== undefined && (!Number.isInteger(o.sshPort) || (o.sshPort as number) < 1 || (o.sshPort as number) > 65535)) return { problem: "sshPort is not a port" };
  if (typeof o.disks !== "object" || o.disks === null || Array.isArray(o.disks)) return { problem: "disks is not an object" };
  const disks = o.disks as Record<string, unknown>;
  if (!Object.hasOwn(disks, "diffdisk")) return { problem: "disks lacks diffdisk" };
  for (const name of Object.keys(disks)) {
    const p = identityProblem(disks[name]);
    if (p !== undefined) return { problem: `disks.${name}: ${p} is wrong` };
  }
  return { record: o as unknown as SuspendRecord };
}

/** Why `now` is not the file that was saved as `saved` (undefined when it is the same). */
export function identityChange(name: string, saved: FileIdentity, now: FileIdentity | undefined): string | undefined {
  if (now === undefined) return `${name} is missing`;
  if (now.ino !== saved.ino || now.dev !== saved.dev) return `${name} was replaced (another inode)`;
  if (now.size !== saved.size) return `${name} changed size (${saved.size} -> ${now.size} bytes)`;
  if (now.mtimeNs !== saved.mtimeNs) {
    const at = (ns: string) => new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
    return `${name} was modified after the state was saved (mtime ${at(saved.mtimeNs)} -> ${at(now.mtimeNs)})`;
  }
  if (now.headSha256 !== saved.headSha256) return `${name}'s header changed`;
  return undefined;
}

/** An argv cut into options: "-m" "1024" is one; a value never starts with "-". Pure. */
function options(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-") || out.length === 0) out.push(a);
    else out[out.length - 1] += ` ${a}`;
  }
  return out;
}

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** What changed between two QEMU command lines, in one line (undefined when they are the same). */
export function argvChange(saved: string[], now: string[]): string | undefined {
  if (saved.length === now.length && saved.every((a, i) => a === now[i])) return undefined;
  const a = options(saved);
  const b = options(now);
  const removed = a.filter((o) => !b.includes(o));
  const added = b.filter((o) => !a.includes(o));
  const parts: string[] = [];
  if (removed.length > 0) parts.push(`was ${removed.map((o) => clip(o)).join(" ")}`);
  if (added.length > 0) parts.push(`now ${added.map((o) => clip(o)).join(" ")}`);
  if (parts.length === 0) parts.push("the options are in another order");
  return `the VM's hardware changed (QEMU command line: ${parts.join("; ")})`;
}

/** What the host has now, to compare with a record. */
export interface ResumeFacts {
  qemu: { binary: string; version: string };
  /** hardwareArgv() of the command line a boot would use now. */
  argv: string[];
  /** The current identity of each disk file the record names (undefined = missing). */
  disks: Record<string, FileIdentity | undefined>;
  /** Size of the state file now (undefined = missing). */
  stateBytes: number | undefined;
}

/** Why the saved state must not be restored (one line), or undefined when it may. Pure. */
export function resumeObstacle(record: SuspendRecord, now: ResumeFacts): string | undefined {
  if (now.stateBytes === undefined) return "the saved state file is missing";
  if (now.stateBytes !== record.stateBytes) return `the saved state file is incomplete (${now.stateBytes} of ${record.stateBytes} bytes)`;
  if (now.qemu.binary !== record.qemu.binary || now.qemu.version !== record.qemu.version) {
    return `QEMU changed (${record.qemu.binary} ${record.qemu.version} -> ${now.qemu.binary} ${now.qemu.version})`;
  }
  for (const [name, saved] of Object.entries(record.disks)) {
    const why = identityChange(name, saved, now.disks[name]);
    if (why !== undefined) return why;
  }
  return argvChange(record.argv, now.argv);
}
