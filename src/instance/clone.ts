import { constants, copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { qemuImgInfo, qemuImgRebaseUnsafe } from "../qemu/index.js";
import { writeFileAtomic } from "../store/atomic.js";
import { makePrivateDir } from "../store/private.js";
import { instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { PROTECTED_FILE } from "./inventory.js";
import { requireInstance } from "./lookup.js";
import { validateInstanceName } from "./names.js";
import { refuseProtected } from "./protect.js";
import { forceStop } from "./stop.js";

/**
 * Files of an instance directory that belong to one boot or to the instance's identity, and are
 * dropped on clone, rename and factory-reset: pid files and sockets, logs, the ssh host key and its
 * pin (a clone gets a new one), the VM generation id, ssh.config, the cidata ISO and its marker
 * (rebuilt with the new name), the saved state of a suspend. Pure.
 */
export function isPerBootOrIdentity(file: string): boolean {
  if (/\.(pid|sock|tmp|log)$/.test(file)) return true;
  return [
    "sock",
    "lock",
    "ssh_host_ed25519_key",
    "ssh_host_ed25519_key.pub",
    "ssh_host_ed25519_key.snapshot.pub",
    "vmgenid",
    "known_hosts",
    "ssh.config",
    "cidata.iso",
    "cidata.ready",
    "shell.json",
    "vmstate",
    "suspend.json",
    "tunnel.json",
  ].includes(file);
}

/** What clone does with each file: skip (per boot/identity, protection) or copy. Pure. */
export function cloneAction(file: string): "skip" | "copy" {
  return file === PROTECTED_FILE || isPerBootOrIdentity(file) ? "skip" : "copy";
}

/** Every string in `record` (image.json) naming a file under `from` now names it under `to`. Pure. */
export function movedRecord(record: unknown, from: string, to: string): unknown {
  if (typeof record === "string") return record === from || record.startsWith(`${from}/`) ? to + record.slice(from.length) : record;
  if (Array.isArray(record)) return record.map((v) => movedRecord(v, from, to));
  if (record && typeof record === "object") return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, movedRecord(v, from, to)]));
  return record;
}

function stoppedSource(home: string, name: string, verb: string): InstancePaths {
  const paths = requireInstance(home, name);
  const st = inspectStatus(paths);
  if (st.status !== "Stopped") {
    throw new TslimaError("INSTANCE_RUNNING", `cannot ${verb} instance ${name}: it is ${st.status}`, {
      hint: `stop it first: tslima stop ${name}${st.status === "Suspended" ? " (a suspended instance is stopped by starting and stopping it, or delete its saved state with stop -f)" : ""}`,
    });
  }
  return paths;
}

function freeTarget(home: string, name: string): InstancePaths {
  const paths = instancePaths(home, validateInstanceName(name));
  if (existsSync(paths.dir)) {
    throw new TslimaError("INSTANCE_EXISTS", `instance ${JSON.stringify(name)} already exists (${paths.dir})`, { hint: "pick another name" });
  }
  return paths;
}

/** The moved instance's own paths: image.json re-pointed, diffdisk's backing file re-pointed. */
async function repoint(from: InstancePaths, to: InstancePaths): Promise<void> {
  const record = join(to.dir, "image.json");
  if (existsSync(record)) {
    writeFileAtomic(record, `${JSON.stringify(movedRecord(JSON.parse(readFileSync(record, "utf8")), from.dir, to.dir), null, 2)}\n`);
  }
  if (existsSync(to.diffdisk)) {
    const info = await qemuImgInfo(to.diffdisk);
    if (info.backingFile === from.basedisk) await qemuImgRebaseUnsafe(to.diffdisk, to.basedisk, info.backingFormat ?? "qcow2");
  }
}

/**
 * `clone SRC DST`: a stopped instance's directory copied (reflinked where the file system can) to
 * a new instance, which gets its own ssh host key and cidata at its first start; not its protection.
 */
export async function cloneInstance(src: string, dst: string, opts: { home?: string } = {}): Promise<InstancePaths> {
  const home = opts.home ?? tslimaHome();
  const from = stoppedSource(home, src, "clone");
  const to = freeTarget(home, dst);
  const tmp = join(home, `.clone-${dst}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  makePrivateDir(tmp);
  try {
    for (const f of readdirSync(from.dir)) {
      if (cloneAction(f) === "skip" || !statSync(join(from.dir, f)).isFile()) continue;
      copyFileSync(join(from.dir, f), join(tmp, f), constants.COPYFILE_FICLONE);
    }
    renameSync(tmp, to.dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  await repoint(from, to);
  return to;
}

/** `rename OLD NEW`: a stopped, unprotected instance moved to a new name (new host key and cidata). */
export async function renameInstance(oldName: string, newName: string, opts: { home?: string } = {}): Promise<InstancePaths> {
  const home = opts.home ?? tslimaHome();
  const from = stoppedSource(home, oldName, "rename");
  refuseProtected(from, "rename");
  const to = freeTarget(home, newName);
  renameSync(from.dir, to.dir);
  for (const f of readdirSync(to.dir)) if (isPerBootOrIdentity(f)) rmSync(join(to.dir, f), { recursive: true, force: true });
  await repoint(from, to);
  return to;
}

/**
 * `factory-reset NAME`: keeps lima.yaml (and any *.yaml) and the protection, drops everything else
 * (disks, keys, cidata), killing a running instance first, as Lima does; the next start is a first boot.
 */
export async function factoryReset(name: string, opts: { home?: string } = {}): Promise<void> {
  const home = opts.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  refuseProtected(paths, "factory-reset");
  if (inspectStatus(paths).status !== "Stopped") await forceStop(paths);
  for (const f of readdirSync(paths.dir)) {
    if (f === PROTECTED_FILE || /\.ya?ml$/.test(f)) continue;
    rmSync(join(paths.dir, f), { recursive: true, force: true });
  }
}
