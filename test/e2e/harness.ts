/**
 * Shared pieces of the end-to-end tests: boot VMs through the library (bootGuest: `Instance.create`
 * then `start()`, a `RunningInstance` the test holds with `await using`, or FileGuest for one VM
 * that a file's tests share), run the real CLI (bin/tslima.js) against the same throw-away
 * TSLIMA_HOME, and write instance YAML for the locally built guest (`build:debian-12`, built by
 * scripts/build-test-guest). Every VM belongs to a library object whose disposal stops it and
 * deletes its instance, also when the test fails; Cli.cleanup disposes whatever else is left.
 */
import { spawn, spawnSync } from "node:child_process";
import { chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { cliPath, repoRoot } from "../helpers.js";
import { createFromSnapshot, Instance, type AgentEvent, type MountInput, type RunningInstance, type SnapshotInstanceConfig } from "../../src/index.js";
import { buildCacheDir, globalPaths } from "../../src/store/paths.js";
import { acquireLock } from "../../src/store/lock.js";
import { readSnapshot } from "../../src/store/snapshot.js";
import { CLONE_HOST_FIELDS } from "../../src/store/snapshot-record.js";
import { isDeepStrictEqual } from "node:util";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the CLI after this long (default 15 minutes); the result then says so in stderr. */
  timeoutMs?: number;
  /** Called with the child as soon as it is spawned (to send it signals). */
  onSpawn?: (pid: number) => void;
}

/** A host user account the CLI can run as (see hostUser()). */
export interface HostUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * An unprivileged host user, created with useradd when missing (needs root). Undefined when the
 * tests do not run as root (then they already run unprivileged).
 */
export function hostUser(name = "tslima-e2e"): HostUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = () => spawnSync("id", ["-u", name], { encoding: "utf8" });
  // Test files run side by side: another one may be adding the same user (useradd then fails to
  // lock /etc/passwd, or finds the user made), so a failure is retried while the user is missing.
  for (let attempt = 1; id().status !== 0; attempt++) {
    const r = spawnSync("useradd", ["--create-home", "--shell", "/bin/sh", name], { encoding: "utf8" });
    if (r.status === 0 || id().status === 0) break;
    if (attempt === 10) throw new Error(`useradd ${name} failed: ${r.stderr}`);
    spawnSync("sleep", ["1"]);
  }
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
  const f = (line ?? "").split(":");
  if (f.length < 7) throw new Error(`user ${name} is not in /etc/passwd`);
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? `/home/${name}` };
}

/**
 * Gives PATH and everything under it to uid:gid. Files with other hard links too: those are a
 * booted snapshot's frozen files (0400, their owner's alone), which the user's QEMU must read; the
 * run's snapshots are this (root) process's, which reads them whoever owns them.
 */
function chownTree(path: string, uid: number, gid: number): void {
  const st = statSync(path);
  chownSync(path, uid, gid);
  if (st.isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid, gid);
}

/** A TSLIMA_HOME of its own, and the CLI run against it (as `user` when given). */
export class Cli {
  readonly home: string;
  readonly root: string;
  readonly user: HostUser | undefined;

  /** The command run: `node bin/tslima.js`, or (`launcher`) bin/tslima as a user's `tslima` is, with its shell fast path. */
  private readonly argv0: string[];

  constructor(label: string, o: { user?: HostUser; launcher?: boolean } = {}) {
    this.root = mkdtempSync(join(tmpdir(), `tslima-e2e-${label}-`));
    this.home = join(this.root, "home");
    this.user = o.user;
    this.argv0 = o.launcher === true ? [join(dirname(cliPath), "tslima")] : [process.execPath, cliPath];
    if (this.user) chownSync(this.root, this.user.uid, this.user.gid);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const as = this.user ? { HOME: this.user.home, USER: this.user.name, LOGNAME: this.user.name, XDG_CACHE_HOME: join(this.user.home, ".cache") } : {};
    return { ...process.env, ...as, TSLIMA_HOME: this.home, ...extra };
  }

  /** Hands everything under the root to the CLI's user (after the test wrote files there as root). */
  chown(path = this.root): void {
    if (this.user) chownTree(path, this.user.uid, this.user.gid);
  }

  /** Runs `tslima ARGS...`; never rejects: the exit code and output come back. */
  run(args: string[], o: RunOptions = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(this.argv0[0]!, [...this.argv0.slice(1), ...args], {
        cwd: o.cwd ?? this.root,
        env: o.env ?? this.env(),
        stdio: ["pipe", "pipe", "pipe"],
        ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}),
      });
      if (child.pid !== undefined) o.onSpawn?.(child.pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.stdin.on("error", () => undefined);
      child.stdin.end(o.input ?? "");
      const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 15 * 60_000);
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString("utf8") + (signal ? `\n[killed by ${signal}]` : "");
        resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString("utf8"), stderr });
      });
    });
  }

  /** Runs and insists on exit 0, with the output in the failure message. */
  async ok(args: string[], o: RunOptions = {}): Promise<Run> {
    const r = await this.run(args, o);
    if (r.code !== 0) throw new Error(`tslima ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r;
  }

  /** Writes FILE under the root and returns its path (owned by the CLI's user). */
  file(name: string, text: string): string {
    const p = join(this.root, name);
    writeFileSync(p, text);
    this.chown(p);
    return p;
  }

  /**
   * Stops and deletes every instance left in the home (`names` and any other; through the library,
   * as disposing an `Instance` does), then removes the whole root. Never throws.
   */
  async cleanup(names: string[] = []): Promise<void> {
    let left: string[] = [];
    try {
      left = Instance.list({ home: this.home }).map((i) => i.name);
    } catch {
      // no home (yet)
    }
    for (const n of new Set([...names, ...left])) {
      try {
        await Instance.get(n, { home: this.home, dispose: "delete" })[Symbol.asyncDispose]();
      } catch {
        // unknown name, or already gone
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** What bootGuest boots: the locally built guest (guestYaml), or a locator such as template:docker. */
export interface GuestBoot {
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
  /** The host agent's environment over cli.env() (the CLI's environment: TSLIMA_HOME, the user's HOME). */
  env?: NodeJS.ProcessEnv;
  /** Boot cold even when the base snapshot could serve (a test of the boot itself). */
  cold?: boolean;
}

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

/**
 * The lima.yaml fields of an instance a clone of the base snapshot could be, or undefined: its
 * config must be guestYaml()'s except for the host-side fields a clone may set (CLONE_HOST_FIELDS)
 * and, with `mountType: reverse-sshfs` said outright, mounts of its own (a clone's mounts are
 * reverse-sshfs: src/instance/from-snapshot.ts). For another user (cli.user) too: the clone is made
 * by this process and handed over (bootGuest).
 */
function cloneConfig(cli: Cli, o: GuestBoot): SnapshotInstanceConfig | undefined {
  if (o.cold === true || o.locator !== undefined || o.cpus !== undefined || o.memory !== undefined || o.mounts !== undefined) return undefined;
  const wanted = (parse(o.yaml ?? guestYaml()) ?? {}) as Record<string, unknown>;
  const host: Record<string, unknown> = {};
  const own = wanted.mountType === "reverse-sshfs" ? ["mountType", "mounts"] : [];
  for (const k of [...CLONE_HOST_FIELDS, ...own]) {
    if (k in wanted) host[k] = wanted[k];
    delete wanted[k];
  }
  return isDeepStrictEqual(wanted, parse(guestYaml())) ? host : undefined;
}

/**
 * A fresh running VM in cli's TSLIMA_HOME, made through the library, its host agent and QEMU
 * running as cli's user and with cli's environment, as after `tslima start` by that user. When the
 * config is the base guest's (cloneConfig), it resumes the run's base snapshot (seconds:
 * `Instance.fromSnapshot`); anything else boots cold (`Instance.create`, then `start()`). Disposing
 * it stops the VM and deletes the instance; a failed start deletes the instance before this
 * rejects. The one place that makes a running test VM.
 */
export async function bootGuest(cli: Cli, o: GuestBoot): Promise<RunningInstance> {
  mkdirSync(cli.root, { recursive: true });
  const start = {
    timeoutMs: o.timeoutMs ?? 15 * 60_000,
    env: cli.env(o.env),
    ...(cli.user ? { user: { uid: cli.user.uid, gid: cli.user.gid } } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  };
  const config = cloneConfig(cli, o);
  if (config !== undefined) {
    await baseSnapshot();
    if (shareUserKey(cli)) {
      if (cli.user === undefined) return Instance.fromSnapshot(BASE_SNAPSHOT, { name: o.name, home: cli.home, snapshotHome, config, ...start });
      // Made as root (this process), then handed to the user whose host agent and QEMU run it,
      // with the snapshot's frozen files it links to (see chownTree).
      await createFromSnapshot(BASE_SNAPSHOT, o.name, { home: cli.home, snapshotHome, config });
      cli.chown();
      const clone = Instance.get(o.name, { home: cli.home, dispose: "delete" });
      try {
        return await clone.start(start);
      } catch (e) {
        await clone[Symbol.asyncDispose]();
        throw e;
      }
    }
  }
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

/** The locally built test guest, as scripts/build-test-guest leaves it (built, or taken from the cache). */
export interface LocalGuest {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  /** How long the build took when it ran (not now, when it came from the cache). */
  buildSeconds: number;
}

/** Runs scripts/build-test-guest (instant when cached); it prints the build directory first. */
export function localGuestBuild(): LocalGuest {
  const r = spawnSync(join(repoRoot, "scripts", "build-test-guest"), [], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60 * 60 * 1000,
  });
  if (r.status !== 0) throw new Error(`scripts/build-test-guest failed (exit ${r.status ?? r.signal}):\n${r.stdout}`);
  const dir = r.stdout.split("\n")[0]!.trim();
  const record = JSON.parse(readFileSync(join(dir, "build.json"), "utf8")) as { cmdline: string; buildSeconds: number };
  return {
    dir,
    disk: join(dir, "disk.qcow2"),
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.img"),
    cmdline: record.cmdline,
    buildSeconds: record.buildSeconds,
  };
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

/**
 * lima.yaml for the locally built Debian 12 guest, small enough for a 2-core machine under TCG:
 * 1 vCPU, 1 GiB, no mounts unless `extra` adds some. `extra` is appended verbatim. `images`
 * replaces the `images:` section (e.g. readableGuestImages()).
 */
export function guestYaml(extra = "", o: { cpus?: number; memory?: string; images?: string } = {}): string {
  return [
    ...(o.images !== undefined ? [o.images] : ["images:", '- location: "build:debian-12"', '  arch: "x86_64"']),
    `cpus: ${o.cpus ?? 1}`,
    `memory: "${o.memory ?? "1GiB"}"`,
    'disk: "8GiB"',
    extra,
  ].join("\n");
}

/** Parses `tslima list --json` output (one JSON object per line, as Lima prints it). */
export function parseList(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
