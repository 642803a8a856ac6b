/**
 * The pure parts of `shell --sync DIR` (Lima's, issue 26): where DIR goes in the guest, which host
 * directories may be synced at all, the rsync argv of each step, how a link the guest made is judged,
 * and what the changes it made are, from rsync's itemized list. The I/O is in shell-sync.ts.
 */
import { posix } from "node:path";
import { TslimaError } from "../errors.js";
import { rsyncShell, scpArg } from "./copy.js";

/** Fewest path components a synced directory has (`/home/USER` is too shallow: `--delete` acts on it). */
export const SYNC_MIN_COMPONENTS = 3;

/** The prefix rsync's --munge-links puts before every link target it receives. */
export const MUNGE_PREFIX = "/rsyncd-munged/";

/**
 * The guest directory DIR is copied to: DIR under the guest home, so the path the command sees ends
 * with the host's (`/home/u.linux/work/proj` for `/work/proj`). Pure.
 */
export function syncGuestDir(guestHome: string, hostDir: string): string {
  return `${guestHome.replace(/\/+$/, "")}${hostDir}`;
}

/**
 * Why `hostDir` (absolute, normalized) cannot be synced, or undefined: the copy back deletes what
 * the guest deleted, so a shallow directory (`/`, `/home`, `/home/USER`) is refused. Pure.
 */
export function syncDirProblem(hostDir: string): TslimaError | undefined {
  const parts = hostDir.split("/").filter((p) => p !== "");
  if (parts.length >= SYNC_MIN_COMPONENTS) return undefined;
  return new TslimaError("SHELL_SYNC", `shell --sync ${hostDir}: the directory has ${parts.length} path component(s), fewer than ${SYNC_MIN_COMPONENTS}`, {
    hint: "sync a deeper directory (e.g. a project under your home), not / or a home itself",
  });
}

/** rsync options of every step: recursive, links as links, permissions, times; never owners, groups or devices. */
const COMMON = ["-rlpt", "--omit-dir-times", "--protect-args"];

/** DIR to the guest directory, which then mirrors it (the guest side is made first). Pure. */
export function pushArgv(sshConfig: string, instance: string, hostDir: string, guestDir: string): string[] {
  return [...COMMON, "--delete", "-q", ...rsyncShell(sshConfig), "--", `${hostDir}/`, `${scpArg({ instance, path: guestDir })}/`];
}

/**
 * The guest directory into an empty host directory `staging`: every link munged on receipt (no link
 * the guest made can be followed while it is copied), set-user/group-ID bits dropped. Pure.
 */
export function pullArgv(sshConfig: string, instance: string, guestDir: string, staging: string): string[] {
  return [...COMMON, "--munge-links", "--chmod=ug-s", "-q", ...rsyncShell(sshConfig), "--", `${scpArg({ instance, path: guestDir })}/`, `${staging}/`];
}

/**
 * The checked staging directory onto DIR (local): `dryRun` lists the changes (itemized), else they
 * are made. Links that would leave the tree are ignored here too (--safe-links). Pure.
 */
export function applyArgv(staging: string, hostDir: string, dryRun: boolean): string[] {
  return [...COMMON, "--delete", "--safe-links", ...(dryRun ? ["--dry-run", "--itemize-changes"] : ["-q"]), "--", `${staging}/`, `${hostDir}/`];
}

/**
 * The target a link found in the staging directory really has (rsync munged it on receipt), or
 * undefined when it was not munged (then rsync did not make it: refuse it). Pure.
 */
export function unmungedTarget(stored: string): string | undefined {
  return stored.startsWith(MUNGE_PREFIX) ? stored.slice(MUNGE_PREFIX.length) : undefined;
}

/**
 * Whether a link at `relPath` (relative to the synced directory) with `target` stays inside it:
 * relative, and never climbing above the directory on the way (`a/../../x` leaves it). Pure.
 */
export function linkStaysInside(relPath: string, target: string): boolean {
  if (target === "" || target.startsWith("/")) return false;
  let depth = posix.dirname(relPath).split("/").filter((p) => p !== "" && p !== ".").length;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    depth += part === ".." ? -1 : 1;
    if (depth < 0) return false;
  }
  return true;
}

export type SyncChangeKind = "added" | "deleted" | "modified" | "metadata";

/** One path the copy back changes on the host, relative to DIR (a directory ends with `/`). */
export interface SyncChange {
  kind: SyncChangeKind;
  path: string;
  /** rsync's itemized line, as shown by "view". */
  line: string;
}

/**
 * The changes in rsync's `--itemize-changes` output of a dry run (`YXcstpoguax PATH`, or `*deleting
 * PATH`): a created item is added, a transferred or changed one modified, one whose attributes alone
 * differ metadata; the top directory itself and unchanged items are left out. Pure.
 */
export function parseItemized(output: string): SyncChange[] {
  const changes: SyncChange[] = [];
  for (const line of output.split("\n")) {
    const deleted = /^\*deleting +(.+)$/.exec(line);
    if (deleted !== null) {
      changes.push({ kind: "deleted", path: deleted[1]!, line });
      continue;
    }
    const m = /^([<>ch.][fdLDS][^ ]{9}) (.+)$/.exec(line);
    if (m === null) continue;
    const flags = m[1]!;
    const path = flags[1] === "L" ? m[2]!.replace(/ -> .*$/, "") : m[2]!;
    if (path === "./") continue;
    let kind: SyncChangeKind | undefined;
    if (flags[2] === "+") kind = "added";
    else if (flags[0] === ">" || flags[0] === "<" || flags[0] === "c") kind = "modified";
    else if (flags[0] === "." && /[^.]/.test(flags.slice(2))) kind = "metadata";
    if (kind !== undefined) changes.push({ kind, path, line });
  }
  return changes;
}

/** `2 added, 1 deleted, ...` (kinds with none left out), or "" for no change. Pure. */
export function summarizeChanges(changes: readonly SyncChange[]): string {
  const kinds: SyncChangeKind[] = ["added", "deleted", "modified", "metadata"];
  return kinds
    .map((k) => [k, changes.filter((c) => c.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k === "metadata" ? "with new metadata" : k}`)
    .join(", ");
}

/** Whether to copy the guest's changes back: ask on the terminal, always, or never. */
export type SyncApply = "ask" | "yes" | "no";

/** An answer to the question: yes, no, view the changes; undefined for anything else. Pure. */
export function parseAnswer(line: string): "yes" | "no" | "view" | undefined {
  const a = line.trim().toLowerCase();
  if (a === "y" || a === "yes") return "yes";
  if (a === "n" || a === "no") return "no";
  if (a === "v" || a === "view") return "view";
  return undefined;
}
