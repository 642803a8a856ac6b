import { readFileSync, readlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import type { Config, Mount } from "../config/types.js";
import {
  CHOWN_TO,
  DOCTOR_SCRATCH_PREFIX,
  GUEST_CLEANUP_SCRIPT,
  GUEST_PROBE_SCRIPT,
  GUEST_READONLY_SCRIPT,
  GUEST_REMOUNT_SCRIPT,
  HOST_FILE,
  mountReport,
  parseProbeOutput,
  parseQemuFsdevs,
  type DoctorReport,
  type HostView,
  type MountFacts,
} from "../mounts/doctor.js";
import { parseProcMounts } from "../mounts/verify.js";
import { inotifySummary } from "../mounts/inotify-status.js";
import { readInotifyStats } from "../hostagent/inotify.js";
import { guestExec } from "../ssh/exec.js";
import { runProgram } from "../proc/run.js";
import { inspectStatus } from "../store/status.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { HostileDir } from "./hostile-dir.js";
import { loadInstanceConfig } from "./inventory.js";
import { requireInstance } from "./lookup.js";

export interface DoctorMountsOptions {
  home?: string;
  /** Only these mounts (mount points or host locations); default all. */
  mounts?: string[];
  /** Per guest command (default 5 minutes: TCG guests are slow). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Add each mount's raw probe output and host view (`raw`, the input of the verdicts) to the report. */
  raw?: boolean;
  /** Progress lines ("probing /mnt/x as root"). */
  onProgress?: (message: string) => void;
}

/** user.* xattrs of a host file matching `pattern` as "k=v,..." (4-byte numbers decoded); undefined without getfattr. A symlink's own (-h). */
async function hostXattrs(path: string, pattern: string): Promise<Map<string, string> | undefined> {
  const r = await runProgram("getfattr", ["-h", "--absolute-names", "-d", "-m", pattern, "-e", "hex", path], { timeoutMs: 10_000, maxOutputBytes: 65536 });
  if (r.spawnError) return undefined;
  const out = new Map<string, string>();
  for (const l of r.stdout.split("\n")) {
    const i = l.indexOf("=");
    if (!l.startsWith("user.") || i < 0) continue;
    const k = l.slice(0, i);
    const v = l.slice(i + 1);
    const hex = /^0x([0-9a-f]*)$/.exec(v)?.[1] ?? "";
    const buf = Buffer.from(hex, "hex");
    out.set(k, buf.length === 4 ? (k.endsWith("mode") ? buf.readUInt32LE(0).toString(8) : String(buf.readUInt32LE(0))) : buf.toString("utf8"));
  }
  return out;
}

/**
 * What the host sees in one role's directory after the guest probe. The guest made everything in it,
 * so nothing is followed: only regular files are read (their first bytes), links are looked at themselves.
 */
async function hostObserve(parent: HostileDir, role: string): Promise<HostView> {
  const v: HostView = {};
  const dir = parent.dir(role);
  if (!dir) return v;
  try {
    const read = (f: string): string | undefined => dir.readSmall(f)?.trim();
    const st = (f: string) => {
      const s = dir.lstat(f);
      return s?.isFile() ? s : undefined;
    };
    const w = read("gw.txt");
    if (w !== undefined) v.write = w;
    const own = st("own");
    if (own) {
      v.owner = `${own.uid}:${own.gid}`;
      const x = await hostXattrs(dir.entryPath("own"), "^user\\.virtfs\\.");
      if (x) v.virtfsXattrs = [...x].map(([k, val]) => `${k.replace("user.virtfs.", "")}=${val}`).join(",");
      const meta = dir.dir(".virtfs_metadata");
      const m = meta?.readSmall("own")?.trim();
      meta?.close();
      if (m) v.virtfsMetadata = m.split("\n").join(",");
    }
    const l = dir.lstat("gl");
    if (l) v.symlink = l.isSymbolicLink() ? `symlink -> ${readlinkSync(dir.entryPath("gl"))}` : l.isFile() ? `file: ${read("gl") ?? ""}` : "other";
    const f = st("f");
    if (f) v.nlink = f.nlink;
    const rb = read("rb");
    if (rb !== undefined) v.renamed = rb;
    const m = st("m");
    if (m) v.mode = (m.mode & 0o777).toString(8);
    const t = st("t");
    if (t) v.mtime = `${t.size} ${Math.floor(t.mtimeMs / 1000)}`;
    if (st("x")) {
      const x = await hostXattrs(dir.entryPath("x"), "^user\\.tslima$");
      const val = x?.get("user.tslima");
      if (val !== undefined) v.xattr = val;
    }
    const mm = read("mm");
    if (mm !== undefined) v.mmap = mm.replace(/\0/g, "").slice(0, 7);
    const sp = st("sp");
    if (sp) v.sparse = `${sp.size} ${sp.blocks}`;
    return v;
  } finally {
    dir.close();
  }
}

/**
 * The host's scratch directory, made 0700 (the guest's root probe opens it to the guest user):
 * host.txt (755, a fixed mtime) and host-link -> host.txt, made before the guest can reach it, new
 * (O_EXCL|O_NOFOLLOW) and changed through their descriptors.
 */
function hostPrepare(scratch: string): HostileDir {
  const dir = HostileDir.create(scratch);
  try {
    dir.createFile(HOST_FILE.name, HOST_FILE.content, HOST_FILE.mode, HOST_FILE.mtime);
    dir.symlink(HOST_FILE.name, HOST_FILE.link);
    return dir;
  } catch (e) {
    dir.removeAll();
    throw e;
  }
}

/** The 9p devices of the running QEMU (Linux: /proc/PID/cmdline), or [] when unknown. */
function qemuFsdevs(pid: number | undefined) {
  if (pid === undefined) return [];
  try {
    return parseQemuFsdevs(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"));
  } catch {
    return [];
  }
}

const lastLine = (s: string) => s.trim().split("\n").pop() ?? "";

/**
 * `tslima doctor mounts NAME`: for a running instance, every mount's options (configured, in the
 * guest's /proc/mounts, QEMU's 9p device) and a live probe in a scratch directory inside each writable
 * mount, as the instance user and as root, removed afterwards (also on failure).
 */
export async function doctorMounts(name: string, opts: DoctorMountsOptions = {}): Promise<DoctorReport> {
  const facts = await collectMountFacts(name, opts);
  const home = opts.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  const enabled = loadInstanceConfig(home, paths).mountInotify;
  const stats = enabled ? readInotifyStats(paths) : undefined;
  return {
    instance: name,
    mounts: facts.map((f) => (opts.raw ? { ...mountReport(f), raw: f } : mountReport(f))),
    inotify: { enabled, stats: stats ?? null, summary: inotifySummary(enabled, stats) },
  };
}

/** A running instance, its config and its mounts (only `opts.mounts` when given, each checked to be one). Shared with `bench mounts`. */
export function runningInstanceMounts(name: string, opts: { home?: string; mounts?: string[] }): { paths: InstancePaths; config: Config; mounts: Mount[]; qemuPid: number | undefined } {
  const home = opts.home ?? tslimaHome();
  const paths: InstancePaths = requireInstance(home, name);
  const st = inspectStatus(paths);
  if (st.status !== "Running") {
    throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st.status}${st.reason ? ` (${st.reason})` : ""}`, { hint: `start it: tslima start ${name}` });
  }
  const config = loadInstanceConfig(home, paths);
  let mounts: Mount[] = config.mounts;
  if (opts.mounts && opts.mounts.length > 0) {
    const wanted = opts.mounts.map((m) => m.replace(/(.)\/+$/, "$1"));
    const unknown = wanted.filter((w) => !mounts.some((m) => m.mountPoint === w || m.location === w));
    if (unknown.length > 0) {
      throw new TslimaError("DOCTOR_UNKNOWN_MOUNT", `${unknown.join(", ")}: not a mount of ${name}`, {
        hint: mounts.length > 0 ? `its mounts: ${mounts.map((m) => m.mountPoint).join(", ")}` : `${name} has no mounts`,
      });
    }
    mounts = mounts.filter((m) => wanted.includes(m.mountPoint) || wanted.includes(m.location));
  }
  return { paths, config, mounts, qemuPid: st.qemuPid };
}

/** What doctorMounts judges: per mount, the guest's probe output and the host's view (the unit tests' fixtures are these, recorded). */
export async function collectMountFacts(name: string, opts: DoctorMountsOptions = {}): Promise<MountFacts[]> {
  const { paths, config, mounts, qemuPid } = runningInstanceMounts(name, opts);
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const run = (argv: string[], input?: string) =>
    guestExec(paths, argv, { workdir: "/", timeoutMs, ...(input !== undefined ? { input } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const proc = await run(["cat", "/proc/mounts"]);
  if (proc.code !== 0) {
    throw new TslimaError("DOCTOR_GUEST", `cannot read the guest's /proc/mounts: ${lastLine(proc.stderr) || `exit ${proc.code}`}`, {
      hint: `check the instance: tslima shell ${name} true (and ${paths.dir}/ha.stderr.log)`,
    });
  }
  const fsdevs = qemuFsdevs(qemuPid);
  const all: MountFacts[] = [];
  for (const mount of mounts) {
    const facts: MountFacts = { mount, type: config.mountType, procMounts: proc.stdout };
    const qemu = config.mountType === "9p" ? fsdevs.find((d) => d.path === mount.location) : undefined;
    if (qemu) facts.qemu = qemu;
    const id = `${process.pid}-${randomBytes(4).toString("hex")}`;
    if (!mount.writable) {
      opts.onProgress?.(`probing ${mount.mountPoint} (read-only)`);
      const r = await run(["sudo", "-n", "sh", "-s", "--", `${mount.mountPoint}/${DOCTOR_SCRATCH_PREFIX}ro-${id}`], GUEST_READONLY_SCRIPT);
      facts.readOnly = parseProbeOutput(r.stdout);
    } else if (parseProcMounts(proc.stdout).some((e) => e.mountPoint === mount.mountPoint)) {
      await probeWritable(facts, mount, id, run, opts);
    }
    all.push(facts);
  }
  return all;
}

type Run = (argv: string[], input?: string) => Promise<{ code: number; stdout: string; stderr: string }>;

async function probeWritable(facts: MountFacts, mount: Mount, id: string, run: Run, opts: DoctorMountsOptions): Promise<void> {
  const scratchName = `${DOCTOR_SCRATCH_PREFIX}${id}`;
  const hostScratch = join(mount.location, scratchName);
  const guestScratch = `${mount.mountPoint}/${scratchName}`;
  let dir: HostileDir;
  try {
    dir = hostPrepare(hostScratch);
  } catch (e) {
    const why = `the host cannot prepare ${hostScratch}: ${(e as Error).message}`;
    facts.roleErrors = { root: why, user: why };
    return;
  }
  try {
    facts.roleErrors = {};
    for (const role of ["root", "user"] as const) {
      opts.onProgress?.(`probing ${mount.mountPoint} as ${role}`);
      const argv = ["sh", "-s", "--", `${guestScratch}/${role}`, role];
      const r = await run(role === "root" ? ["sudo", "-n", ...argv] : argv, GUEST_PROBE_SCRIPT);
      const p = parseProbeOutput(r.stdout);
      if (Object.keys(p).length === 0) facts.roleErrors[role] = `the probe did not run (exit ${r.code}): ${lastLine(r.stderr)}`;
      else facts[role] = p;
    }
    facts.hostRoot = await hostObserve(dir, "root");
    facts.hostUser = await hostObserve(dir, "user");
    if (facts.root?.chown?.status === "ok" && facts.root.owner?.out === CHOWN_TO) {
      if (facts.type === "reverse-sshfs") facts.remountSkipped = "reverse-sshfs is remounted by the host agent, not from fstab";
      else {
        opts.onProgress?.(`remounting ${mount.mountPoint}`);
        const r = await run(["sudo", "-n", "sh", "-s", "--", mount.mountPoint, `${guestScratch}/root/own`], GUEST_REMOUNT_SCRIPT);
        facts.remount = parseProbeOutput(r.stdout);
      }
    }
  } finally {
    // as root, then as the user (sudo may be refused), then whatever the host can still remove
    await run(["sudo", "-n", "sh", "-s", "--", guestScratch], GUEST_CLEANUP_SCRIPT).catch(() => undefined);
    await run(["sh", "-s", "--", guestScratch], GUEST_CLEANUP_SCRIPT).catch(() => undefined);
    if (!dir.removeAll()) opts.onProgress?.(`warning: could not remove ${hostScratch}`);
  }
}
