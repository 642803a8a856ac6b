/**
 * Shared pieces of the end-to-end tests: run the real CLI (bin/tslima.js) against a throw-away
 * TSLIMA_HOME, write instance YAML for the locally built guest (`build:debian-12`, built by
 * scripts/build-test-guest), and make sure every instance a test starts is stopped and deleted again,
 * also when the test fails.
 */
import { spawn, spawnSync } from "node:child_process";
import { chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { cliPath, repoRoot } from "../helpers.js";
import { buildCacheDir } from "../../src/store/paths.js";

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
  if (id().status !== 0) {
    const r = spawnSync("useradd", ["--create-home", "--shell", "/bin/sh", name], { encoding: "utf8" });
    if (r.status !== 0 && id().status !== 0) throw new Error(`useradd ${name} failed: ${r.stderr}`);
  }
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
  const f = (line ?? "").split(":");
  if (f.length < 7) throw new Error(`user ${name} is not in /etc/passwd`);
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? `/home/${name}` };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid, gid);
}

/** A TSLIMA_HOME of its own, and the CLI run against it (as `user` when given). */
export class Cli {
  readonly home: string;
  readonly root: string;
  readonly user: HostUser | undefined;

  constructor(label: string, o: { user?: HostUser } = {}) {
    this.root = mkdtempSync(join(tmpdir(), `tslima-e2e-${label}-`));
    this.home = join(this.root, "home");
    this.user = o.user;
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
      const child = spawn(process.execPath, [cliPath, ...args], {
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

  /** Stops (forced) and deletes every instance, then removes the whole root. Never throws. */
  async cleanup(names: string[]): Promise<void> {
    for (const n of names) {
      await this.run(["stop", "-f", n], { timeoutMs: 120_000 });
      await this.run(["delete", "-f", n], { timeoutMs: 120_000 });
    }
    rmSync(this.root, { recursive: true, force: true });
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
