/**
 * The real CLI (bin/tslima.js, or the bin/tslima launcher) run against a throw-away TSLIMA_HOME, as a
 * user runs it; optionally as an unprivileged host user. Shared by the e2e tests (test/e2e/harness.ts)
 * and the benchmarks (scripts/bench/*.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cliPath } from "../helpers.js";
import { Instance } from "../../src/index.js";

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
