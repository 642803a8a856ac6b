/**
 * Shared pieces of the end-to-end tests: boot VMs through the library (bootGuest: `Instance.create`
 * then `start()`, a `RunningInstance` the test holds with `await using`, or FileGuest for one VM
 * that a file's tests share), run the real CLI (Cli, test/support/cli.ts) against the same
 * throw-away TSLIMA_HOME, and write instance YAML for the locally built guest (guestYaml,
 * test/support/guest.ts). Every VM belongs to a library object whose disposal stops it and
 * deletes its instance, also when the test fails; Cli.cleanup disposes whatever else is left.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { createFromSnapshot, Instance, type AgentEvent, type MountInput, type RunningInstance, type SnapshotInstanceConfig } from "../../src/index.js";
import { buildCacheDir, globalPaths } from "../../src/store/paths.js";
import { acquireLock } from "../../src/store/lock.js";
import { readSnapshot } from "../../src/store/snapshot.js";
import { CLONE_HOST_FIELDS } from "../../src/store/snapshot-record.js";
import { isDeepStrictEqual } from "node:util";
import { Cli } from "../support/cli.js";
import { guestYaml } from "../support/guest.js";

export { Cli, hostUser, type HostUser, type Run, type RunOptions } from "../support/cli.js";
export { guestYaml, localGuestBuild, type LocalGuest } from "../support/guest.js";

/** What bootGuest boots: the locally built guest (guestYaml), or a locator such as template:docker. */
export interface GuestBootOptions {
  name: string;
  /** lima.yaml text, written to ROOT/NAME.yaml; default guestYaml() (1 vCPU, 1 GiB, no mounts). */
  yaml?: string;
  /** A locator (template:NAME, FILE.yaml, URL) instead of `yaml`. */
  locator?: string;
  /** Overrides of the config (the library's typed options). */
  cpus?: number;
  memory?: string;
  mounts?: MountInput[];
  /** The boot's timeout; default 15 minutes. */
  timeoutMs?: number;
  /** Aborting stops the boot (and deletes the instance). */
  signal?: AbortSignal;
  onEvent?: (e: AgentEvent) => void;
  /** `start --progress`: the guest's cloud-init output as "[cloud-init] LINE" message events. */
  progress?: boolean;
  /** The host agent's environment over cli.env() (the CLI's environment: TSLIMA_HOME, the user's HOME). */
  env?: NodeJS.ProcessEnv;
}

/**
 * How bootGuest makes the VM, said by the test: a clone of the run's base snapshot (seconds; its
 * config must be the base guest's, see snapshotConfig, or bootGuest throws naming the field that
 * differs), or a cold boot (minutes under TCG) and why the test needs one.
 */
export type BootFrom = { from: "base-snapshot"; cold?: never } | { cold: true; reason: string; from?: never };

export type GuestBoot = GuestBootOptions & BootFrom;

/**
 * Where the run's booted snapshots live: TSLIMA_E2E_SNAPSHOTS (scripts/run-tests.js makes one per
 * run and removes it after), else a directory of this process, removed when it exits.
 */
export const snapshotHome: string = (() => {
  const given = process.env.TSLIMA_E2E_SNAPSHOTS;
  if (given !== undefined && given !== "") return given;
  const dir = mkdtempSync(join(tmpdir(), "tslima-e2e-snapshots-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
})();

/** The base snapshot's name: guestYaml() as booted, taken once per run. */
export const BASE_SNAPSHOT = "base";

/**
 * The run's base snapshot (guestYaml(), booted cold and snapshotted the first time any test file
 * asks). Test files run side by side (scripts/run-tests.js), so the boot is done under a lock in
 * the snapshots' directory: a second file that asks meanwhile waits for the first one's snapshot.
 * Returns how long this call booted it (0 when it was there or another file made it).
 */
export async function baseSnapshot(): Promise<number> {
  const there = () => !("problem" in readSnapshot(snapshotHome, BASE_SNAPSHOT));
  if (there()) return 0;
  mkdirSync(snapshotHome, { recursive: true });
  const lock = await acquireLock(join(snapshotHome, "base.lock"), { timeoutMs: 30 * 60_000, pollMs: 1000 });
  try {
    return there() ? 0 : await bootBaseSnapshot();
  } finally {
    lock.release();
  }
}

async function bootBaseSnapshot(): Promise<number> {
  const t0 = Date.now();
  const yaml = join(snapshotHome, "base.yaml");
  writeFileSync(yaml, guestYaml());
  // Named per process: a file killed while it booted the base leaves its source instance behind,
  // and the next file that takes the lock boots its own.
  const source = await Instance.create(yaml, { name: `base-source-${process.pid}`, home: snapshotHome, dispose: "delete" });
  try {
    await using vm = await source.start({ timeoutMs: 20 * 60_000 });
    await vm.snapshot(BASE_SNAPSHOT);
  } finally {
    await source[Symbol.asyncDispose]();
  }
  const ms = Date.now() - t0;
  console.log(`# the run's base snapshot was booted and taken in ${(ms / 1000).toFixed(0)} s`);
  return ms;
}

/**
 * Gives cli's TSLIMA_HOME the ssh user key of the snapshots' home (the key their guests accept),
 * unless it has one of its own already. Returns whether the keys are the same.
 */
export function shareUserKey(cli: Cli): boolean {
  const from = globalPaths(snapshotHome);
  const to = globalPaths(cli.home);
  if (!existsSync(to.userKey)) {
    mkdirSync(to.configDir, { recursive: true, mode: 0o700 });
    copyFileSync(from.userKey, to.userKey);
    copyFileSync(from.userPubKey, to.userPubKey);
  }
  return readFileSync(to.userPubKey, "utf8").trim() === readFileSync(from.userPubKey, "utf8").trim();
}

/** A value in an error message, cut short. */
function shown(v: unknown): string {
  const t = v === undefined ? "(unset)" : JSON.stringify(v);
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/**
 * The lima.yaml fields a clone of the base snapshot gets (`config`), or why the boot cannot be one
 * (`differs`, naming the option or field). The config must be guestYaml()'s except for the host-side
 * fields a clone may set (CLONE_HOST_FIELDS) and, with `mountType: reverse-sshfs` said outright,
 * mounts of its own (a clone's mounts are reverse-sshfs: src/instance/from-snapshot.ts); no locator
 * and none of the flag overrides. For another user (cli.user) too: the clone is made by this process
 * and handed over (bootGuest).
 */
export function snapshotConfig(o: GuestBootOptions): { config: SnapshotInstanceConfig } | { differs: string } {
  if (o.locator !== undefined) return { differs: `locator ${o.locator} (the base guest is guestYaml())` };
  for (const flag of ["cpus", "memory", "mounts"] as const) {
    if (o[flag] !== undefined) return { differs: `the ${flag} option (a flag override; the base guest has none)` };
  }
  const wanted = (parse(o.yaml ?? guestYaml()) ?? {}) as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  const own = wanted.mountType === "reverse-sshfs" ? ["mountType", "mounts"] : [];
  for (const k of [...CLONE_HOST_FIELDS, ...own]) {
    if (k in wanted) config[k] = wanted[k];
    delete wanted[k];
  }
  const base = parse(guestYaml()) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(base), ...Object.keys(wanted)])) {
    if (!isDeepStrictEqual(wanted[k], base[k])) return { differs: `field ${k}: ${shown(wanted[k])}, the base guest's ${shown(base[k])}` };
  }
  return { config };
}

/**
 * A fresh running VM in cli's TSLIMA_HOME, made through the library, its host agent and QEMU
 * running as cli's user and with cli's environment, as after `tslima start` by that user. The test
 * says how (BootFrom): `{ from: "base-snapshot" }` resumes the run's base snapshot (seconds:
 * `Instance.fromSnapshot`), and throws when the config cannot be a clone of it (snapshotConfig) or
 * cli's home has an ssh key of its own; `{ cold: true, reason }` boots cold (`Instance.create`, then
 * `start()`). Disposing it stops the VM and deletes the instance; a failed start deletes the
 * instance before this rejects. The one place that makes a running test VM.
 */
export async function bootGuest(cli: Cli, o: GuestBoot): Promise<RunningInstance> {
  mkdirSync(cli.root, { recursive: true });
  const start = {
    timeoutMs: o.timeoutMs ?? 15 * 60_000,
    env: cli.env(o.env),
    ...(cli.user ? { user: { uid: cli.user.uid, gid: cli.user.gid } } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.progress === true ? { progress: true } : {}),
  };
  if (o.from === "base-snapshot") {
    const chosen = snapshotConfig(o);
    if ("differs" in chosen) {
      throw new Error(`bootGuest ${o.name}: asked for the base snapshot, but the config cannot be a clone of it: ${chosen.differs}. Keep to guestYaml() (${CLONE_HOST_FIELDS.join(", ")} and reverse-sshfs mounts may differ), or boot cold with { cold: true, reason }`);
    }
    await baseSnapshot();
    if (!shareUserKey(cli)) {
      throw new Error(`bootGuest ${o.name}: asked for the base snapshot, but ${cli.home} has an ssh user key of its own, which the snapshot's guest does not accept: boot it before anything makes a key there, or with { cold: true, reason }`);
    }
    console.log(`# ${o.name}: a clone of the base snapshot`);
    if (cli.user === undefined) return Instance.fromSnapshot(BASE_SNAPSHOT, { name: o.name, home: cli.home, snapshotHome, config: chosen.config, ...start });
    // Made as root (this process), then handed to the user whose host agent and QEMU run it,
    // with the snapshot's frozen files it links to (see chownTree).
    await createFromSnapshot(BASE_SNAPSHOT, o.name, { home: cli.home, snapshotHome, config: chosen.config });
    cli.chown();
    const clone = Instance.get(o.name, { home: cli.home, dispose: "delete" });
    try {
      return await clone.start(start);
    } catch (e) {
      await clone[Symbol.asyncDispose]();
      throw e;
    }
  }
  console.log(`# ${o.name}: a cold boot (${o.reason})`);
  const locator = o.locator ?? cli.file(`${o.name}.yaml`, o.yaml ?? guestYaml());
  const instance = await Instance.create(locator, {
    name: o.name,
    home: cli.home,
    cwd: cli.root,
    ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
    ...(o.memory !== undefined ? { memory: o.memory } : {}),
    ...(o.mounts !== undefined ? { mounts: o.mounts } : {}),
  });
  try {
    cli.chown();
    return await instance.start(start);
  } catch (e) {
    await instance[Symbol.asyncDispose]();
    throw e;
  }
}

/**
 * The one VM a file's tests share: `boot()` in `before`, `vm` in the tests, disposal in `after`
 * (`await using` cannot span node:test's hooks). Disposing also covers a boot that failed or is
 * still running (a `before` that timed out): it aborts the boot, waits for it to settle (bootGuest
 * then deletes the instance) and disposes the VM. Then the root is removed (Cli.cleanup).
 */
export class FileGuest implements AsyncDisposable {
  private readonly abort = new AbortController();
  private booting: Promise<RunningInstance> | undefined;
  private running: RunningInstance | undefined;

  constructor(readonly cli: Cli) {}

  /** Boots the VM (bootGuest) and logs how long that took. */
  async boot(o: GuestBoot): Promise<RunningInstance> {
    const t0 = Date.now();
    this.booting = bootGuest(this.cli, { ...o, signal: this.abort.signal });
    this.running = await this.booting;
    console.log(`# ${o.name} booted through the library in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return this.running;
  }

  /** The running VM; throws when the boot failed (so each test fails with that, not a TypeError). */
  get vm(): RunningInstance {
    if (this.running === undefined) throw new Error("the file's VM did not boot (see the before hook)");
    return this.running;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.abort.abort();
    try {
      await this.booting;
    } catch {
      // the boot failed or was aborted: bootGuest deleted the instance
    }
    try {
      await this.running?.[Symbol.asyncDispose]();
    } finally {
      await this.cli.cleanup();
    }
  }
}

/**
 * The locally built guest as files another user can read: the build cache lives under root's home,
 * so its disk, kernel and initrd are hard-linked (or copied) into `dir` (made readable to all).
 * Returns the `images:` YAML for guestYaml({ images }).
 */
export function readableGuestImages(dir: string, name = "debian-12"): string {
  const cache = join(buildCacheDir(), "build");
  const builds = existsSync(cache)
    ? readdirSync(cache).filter((n) => n.startsWith(`${name}-x86_64-`) && existsSync(join(cache, n, "image.yaml")))
    : [];
  const newest = builds.sort((a, b) => statSync(join(cache, b)).mtimeMs - statSync(join(cache, a)).mtimeMs)[0];
  if (newest === undefined) throw new Error(`no local ${name} build under ${cache}: run scripts/build-test-guest`);
  const img = (parse(readFileSync(join(cache, newest, "image.yaml"), "utf8")) as { images: Array<Record<string, unknown>> }).images[0];
  if (!img) throw new Error(`${cache}/${newest}/image.yaml has no images`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const place = (from: string): string => {
    const to = join(dir, from.split("/").pop() ?? "file");
    if (!existsSync(to)) {
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
    return to;
  };
  const lines = ["images:", `- location: ${JSON.stringify(place(String(img.location)))}`, '  arch: "x86_64"'];
  for (const k of ["kernel", "initrd"] as const) {
    const f = img[k] as { location?: string; cmdline?: string } | undefined;
    if (f?.location === undefined) continue;
    lines.push(`  ${k}:`, `    location: ${JSON.stringify(place(f.location))}`);
    if (f.cmdline !== undefined) lines.push(`    cmdline: ${JSON.stringify(f.cmdline)}`);
  }
  return lines.join("\n");
}


/** Parses `tslima list --json` output (one JSON object per line, as Lima prints it). */
export function parseList(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
