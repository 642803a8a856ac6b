/**
 * `shell --sync DIR` (Lima's, issue 26): DIR is copied into the guest (under the guest home, at the
 * same path), the command runs there, and what it changed is copied back, asked first on a terminal.
 * The guest is not trusted on the way back: its tree arrives in a private host directory with every
 * link munged (nothing it sends can be followed while it is written), links that would leave DIR are
 * dropped, and only then is the checked tree applied to DIR by a local rsync (no owners, groups,
 * devices or set-ID bits; --safe-links). The pure parts are in sync-plan.ts.
 */
import { existsSync, lstatSync, lutimesSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { TslimaError } from "../errors.js";
import { shellQuote } from "../proc/quote.js";
import { whichSync } from "../proc/which.js";
import { guestExec, runCollect, shScript } from "../ssh/exec.js";
import type { InstancePaths } from "../store/paths.js";
import { guestHasRsync, installGuestRsync } from "./copy.js";
import {
  applyArgv,
  linkStaysInside,
  MUNGE_PREFIX,
  parseAnswer,
  parseItemized,
  pullArgv,
  pushArgv,
  summarizeChanges,
  syncDirProblem,
  syncGuestDir,
  unmungedTarget,
  type SyncApply,
  type SyncChange,
} from "./sync-plan.js";

/** `shell`'s `sync` option. */
export interface SyncOptions {
  /** The host directory to copy in and back (relative to the shell's `cwd`). */
  dir: string;
  /**
   * Copy the changes back: "ask" on the terminal (yes, no, or view them first), "yes", or "no".
   * Default as Lima: ask when stdin and stdout are terminals, else yes.
   */
  apply?: SyncApply;
  /** What is being done (Lima's info lines), one line each. */
  onMessage?: (line: string) => void;
}

/** What the sync needs of the instance: its name, files, guest home and mounts. */
export interface SyncTarget {
  name: string;
  paths: InstancePaths;
  guestHome: string;
  mounts: readonly unknown[];
}

/** A bounded wait for one rsync or guest command (a copy of a large tree may take long). */
const STEP_MS = 60 * 60_000;

function failed(what: string, stderr: string, hint: string): TslimaError {
  return new TslimaError("SHELL_SYNC_FAILED", `shell --sync: ${what}: ${stderr.trim().split("\n").slice(-5).join("; ") || "failed"}`, { hint });
}

/** DIR made absolute and checked: deep enough, a directory, and the instance without mounts. */
function checkedDir(target: SyncTarget, dir: string, cwd: string): string {
  const hostDir = resolve(cwd, dir);
  const problem = syncDirProblem(hostDir);
  if (problem !== undefined) throw problem;
  if (!existsSync(hostDir) || !statSync(hostDir).isDirectory()) {
    throw new TslimaError("SHELL_SYNC", `shell --sync ${dir}: ${hostDir} is not a directory`, { hint: "give --sync an existing host directory" });
  }
  if (target.mounts.length > 0) {
    throw new TslimaError("SHELL_SYNC", `shell --sync: instance ${target.name} has host mounts, so the guest sees host files anyway`, {
      hint: `use an instance without mounts (tslima create --mount-none), or work in the mounted directory without --sync`,
    });
  }
  if (whichSync("rsync") === undefined) throw new TslimaError("SHELL_SYNC", "shell --sync: rsync is not installed on the host", { hint: "install rsync (e.g. apt-get install rsync)" });
  // A munged link points below this directory: it must not exist, or the links could be followed.
  if (existsSync(MUNGE_PREFIX)) {
    throw new TslimaError("SHELL_SYNC", `shell --sync: ${MUNGE_PREFIX} exists on the host, so links copied from the guest could be followed`, { hint: `remove ${MUNGE_PREFIX}` });
  }
  return hostDir;
}

/** rsync in the guest, installed with its package manager when the image has none. */
async function ensureGuestRsync(target: SyncTarget, say: (l: string) => void): Promise<void> {
  if (await guestHasRsync(target.paths)) return;
  say(`installing rsync in ${target.name} (the guest has none)`);
  const r = await installGuestRsync(target.paths);
  if (r.code !== 0) throw failed(`rsync is not installed in ${target.name} and could not be installed`, r.stderr, `install rsync in the guest: tslima shell ${target.name} sudo apt-get install rsync`);
}

async function rsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCollect("rsync", args, undefined, STEP_MS);
}

/**
 * Copies DIR to the guest, runs `run` there (given the guest directory) and copies the changes
 * back as `apply` says; resolves with run's exit status. A command that fails leaves its changes in
 * the guest (said on onMessage), as Lima does.
 */
export async function withSyncedDir(target: SyncTarget, o: SyncOptions & { cwd: string }, run: (guestDir: string) => Promise<number>): Promise<number> {
  const say = o.onMessage ?? (() => {});
  const hostDir = checkedDir(target, o.dir, o.cwd);
  await ensureGuestRsync(target, say);
  const guestDir = syncGuestDir(target.guestHome, hostDir);
  const mk = await guestExec(target.paths, shScript(`mkdir -p -- ${shellQuote(guestDir)}`), { timeoutMs: STEP_MS });
  if (mk.code !== 0) throw failed(`cannot make ${guestDir} in the guest`, mk.stderr, "check the guest's disk and its home");
  say(`copying ${hostDir} to ${target.name}:${guestDir}`);
  const push = await rsync(pushArgv(target.paths.sshConfig, target.name, hostDir, guestDir));
  if (push.code !== 0) throw failed(`copying ${hostDir} to the guest`, push.stderr, "check that every file in the directory is readable");
  const code = await run(guestDir);
  if (code !== 0) {
    say(`the command exited with ${code}: nothing is copied back; the guest's copy stays in ${target.name}:${guestDir}`);
    return code;
  }
  const applied = await copyBack(target, hostDir, guestDir, o.apply ?? (process.stdin.isTTY && process.stdout.isTTY ? "ask" : "yes"), say);
  if (applied) {
    const rm = await guestExec(target.paths, shScript(`rm -rf -- ${shellQuote(guestDir)}`), { timeoutMs: STEP_MS });
    if (rm.code !== 0) say(`could not remove ${target.name}:${guestDir}: ${rm.stderr.trim()}`);
  }
  return code;
}

/**
 * The guest's tree into a private host directory, checked, then (as `apply` says) onto DIR.
 * Returns whether the guest's copy may go (the changes were applied, declined, or there were none).
 */
async function copyBack(target: SyncTarget, hostDir: string, guestDir: string, apply: SyncApply, say: (l: string) => void): Promise<boolean> {
  // The tree goes below a private directory: its own top gets DIR's mode.
  const parent = mkdtempSync(join(tmpdir(), "tslima-sync-"));
  const staging = join(parent, "tree");
  const keep = `the guest's copy stays in ${target.name}:${guestDir}`;
  try {
    const pull = await rsync(pullArgv(target.paths.sshConfig, target.name, guestDir, staging));
    if (pull.code !== 0) throw failed(`copying ${guestDir} back from the guest`, pull.stderr, keep);
    for (const skipped of checkLinks(staging)) say(`not copied back: ${skipped}`);
    const dry = await rsync(applyArgv(staging, hostDir, true));
    if (dry.code !== 0) throw failed(`comparing with ${hostDir}`, dry.stderr, keep);
    const changes = parseItemized(dry.stdout);
    if (changes.length === 0) {
      say("no changes to copy back");
      return true;
    }
    const decision = apply === "ask" ? await ask(hostDir, staging, changes) : apply;
    if (decision === "keep") {
      say(`nothing copied back; ${keep}`);
      return false;
    }
    if (decision === "no") {
      say(`the changes are not copied back (${summarizeChanges(changes)})`);
      return true;
    }
    const r = await rsync(applyArgv(staging, hostDir, false));
    if (r.code !== 0) throw failed(`copying the changes into ${hostDir}`, r.stderr, keep);
    say(`copied back to ${hostDir}: ${summarizeChanges(changes)}`);
    return true;
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

/**
 * Every link in the staging tree gets its real target back, or is removed when rsync did not munge
 * it or it would leave the tree; returns the removed ones as `PATH -> TARGET`.
 */
export function checkLinks(staging: string): string[] {
  const skipped: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(staging, rel))) {
      const relPath = rel === "" ? name : `${rel}/${name}`;
      const abs = join(staging, relPath);
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(relPath);
      else if (st.isSymbolicLink()) {
        const stored = readlinkSync(abs);
        const target = unmungedTarget(stored);
        unlinkSync(abs);
        if (target !== undefined && linkStaysInside(relPath, target)) {
          symlinkSync(target, abs);
          lutimesSync(abs, st.atime, st.mtime); // the guest's time, as an unchanged link has it
        } else skipped.push(`${relPath} -> ${target ?? stored} (a link out of the directory)`);
      }
    }
  };
  walk("");
  return skipped;
}

/**
 * The question on the terminal (stderr, answer on stdin) until yes or no; "view" lists the changes
 * and diffs them. End of input or Ctrl-C: "keep" (nothing copied back, the guest's copy stays).
 */
async function ask(hostDir: string, staging: string, changes: SyncChange[]): Promise<"yes" | "no" | "keep"> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const ended = new Promise<undefined>((resolve) => rl.once("close", () => resolve(undefined)));
  rl.once("SIGINT", () => rl.close());
  try {
    for (;;) {
      const line = await Promise.race([rl.question(`Copy the changes back to ${hostDir}? (${summarizeChanges(changes)}) [y]es, [n]o, [v]iew: `), ended]);
      if (line === undefined) return "keep";
      const answer = parseAnswer(line);
      if (answer === "yes" || answer === "no") return answer;
      if (answer === "view") await view(hostDir, staging, changes);
    }
  } finally {
    rl.close();
  }
}

/** The itemized changes, then `diff -ruN DIR NEW` when the host has diff. */
async function view(hostDir: string, staging: string, changes: SyncChange[]): Promise<void> {
  process.stdout.write(`${changes.map((c) => c.line).join("\n")}\n`);
  if (whichSync("diff") === undefined) return;
  const d = await runCollect("diff", ["-ruN", "--no-dereference", "--", hostDir, staging], undefined, STEP_MS, undefined, 16 << 20);
  process.stdout.write(d.stdout);
}
