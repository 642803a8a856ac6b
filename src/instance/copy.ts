import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { startChild } from "../proc/child.js";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { TslimaError } from "../errors.js";
import { tslimaHome } from "../store/paths.js";
import { listInstanceNames, requireInstance } from "./lookup.js";
import { inspectStatus } from "../store/status.js";
import { hostKeyMismatchError, isHostKeyMismatch } from "../ssh/index.js";
import { guestExec, shScript } from "../ssh/exec.js";
import { whichSync } from "../proc/which.js";
import { shellJoin, shellQuote } from "../proc/quote.js";
import type { InstancePaths } from "../store/paths.js";
import { SHELL_RSYNC_INSTALL_SH } from "../guest/embedded.js";

export interface CopyEndpoint {
  /** Instance name, or undefined for a host path. */
  instance?: string;
  path: string;
}

/**
 * `NAME:PATH` names a path in an instance when NAME is an existing instance (as Lima does); any
 * other argument is a host path. Pure given the list of instances.
 */
export function parseCopyArg(arg: string, instances: string[]): CopyEndpoint {
  const i = arg.indexOf(":");
  if (i > 0) {
    const name = arg.slice(0, i);
    if (instances.includes(name)) return { instance: name, path: arg.slice(i + 1) };
    if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && !arg.startsWith("/") && !arg.startsWith(".")) {
      throw new TslimaError("UNKNOWN_INSTANCE", `instance ${JSON.stringify(name)} does not exist (in ${arg})`, {
        hint: instances.length > 0 ? `existing instances: ${instances.join(", ")}` : "there are no instances yet",
      });
    }
  }
  return { path: arg };
}

/** scp arguments for one endpoint. Pure. */
export function scpArg(e: CopyEndpoint): string {
  return e.instance === undefined ? e.path : `lima-${e.instance}:${e.path === "" ? "." : e.path}`;
}

/**
 * rsync's endpoints for a recursive copy with scp's meaning (Lima's, whichever tool runs): into a
 * destination directory that exists, the source directory goes in under its own name; else the
 * destination becomes a copy of it. A trailing `/` on the source changes nothing, unlike rsync's.
 * Pure given whether the destination is a directory.
 */
export function rsyncEndpoints(src: CopyEndpoint, dst: CopyEndpoint, dstIsDir: boolean): [CopyEndpoint, CopyEndpoint] {
  const bare = (p: string) => (p.length > 1 ? p.replace(/\/+$/, "") : p);
  const from = bare(src.path);
  return dstIsDir ? [{ ...src, path: from }, { ...dst, path: `${bare(dst.path)}/` }] : [{ ...src, path: `${from}/` }, { ...dst, path: bare(dst.path) }];
}

/** `copy --backend`: Lima's choice of tool. */
export type CopyBackend = "scp" | "rsync" | "auto";

export const COPY_BACKENDS: readonly CopyBackend[] = ["scp", "rsync", "auto"];

export interface CopyOptions {
  home?: string;
  recursive?: boolean;
  /** scp, rsync, or auto (default): rsync when the host and the one instance involved both have it, else scp. */
  backend?: CopyBackend;
  /** Show the command run (on `onVerbose`) and let the tool report its progress. */
  verbose?: boolean;
  onVerbose?: (line: string) => void;
  /** Progress worth telling (rsync being installed in the guest). */
  onMessage?: (line: string) => void;
}

/**
 * The tool for one copy: rsync needs it on the host and in the guest, and one side on the host
 * (rsync cannot copy between two remote hosts; scp -3 does, through this host). Pure.
 */
export function chooseCopyBackend(asked: CopyBackend, o: { instances: number; hostRsync: boolean; guestRsync: boolean }): "scp" | "rsync" {
  const why = o.instances > 1 ? "rsync cannot copy between two instances" : !o.hostRsync ? "rsync is not installed on the host" : !o.guestRsync ? "rsync is not installed in the instance" : undefined;
  if (asked === "scp") return "scp";
  if (asked === "auto") return why === undefined ? "rsync" : "scp";
  if (why !== undefined) {
    throw new TslimaError("COPY_BACKEND", `copy --backend rsync: ${why}`, {
      hint: o.instances > 1 ? "use --backend scp (or auto) for a copy between instances" : "install rsync there, or use --backend scp (or auto)",
    });
  }
  return "rsync";
}

/** rsync's remote shell: ssh through the ssh config `cfg` (Host lima-NAME blocks). Pure. */
export function rsyncShell(cfg: string): string[] {
  return ["-e", `ssh -F ${shellQuote(cfg)}`];
}

/** The argv of the copy tool (scp or rsync) over the ssh config `cfg`. Pure. */
export function copyArgv(tool: "scp" | "rsync", cfg: string, a: CopyEndpoint, b: CopyEndpoint, o: { recursive?: boolean; verbose?: boolean }): string[] {
  if (tool === "rsync") {
    return [...rsyncShell(cfg), "-lpt", ...(o.recursive ? ["-r"] : []), ...(o.verbose ? ["-v", "--progress"] : ["-q"]), "--", scpArg(a), scpArg(b)];
  }
  return ["-F", cfg, ...(o.verbose ? [] : ["-q"]), "-p", ...(o.recursive ? ["-r"] : []), ...(a.instance && b.instance ? ["-3"] : []), "--", scpArg(a), scpArg(b)];
}

/** Installs rsync in the guest with its package manager (apt, dnf, apk, zypper; as root through sudo). */
export async function installGuestRsync(paths: InstancePaths): Promise<{ code: number; stderr: string }> {
  return guestExec(paths, ["sudo", "-n", "sh", "-c", SHELL_RSYNC_INSTALL_SH], { timeoutMs: 15 * 60_000 });
}

/** Whether an endpoint names a directory: on the host, or in `guest` (the one instance involved). */
async function isDirectory(e: CopyEndpoint, guest: InstancePaths | undefined): Promise<boolean> {
  if (e.instance === undefined) return existsSync(e.path) && statSync(e.path).isDirectory();
  if (guest === undefined) return false;
  return (await guestExec(guest, ["test", "-d", e.path === "" ? "." : e.path], { timeoutMs: 30_000 })).code === 0;
}

/** Whether the guest has rsync (on the user's PATH). */
export async function guestHasRsync(paths: InstancePaths): Promise<boolean> {
  return (await guestExec(paths, shScript("command -v rsync >/dev/null"), { timeoutMs: 30_000 })).code === 0;
}

/** Copies files between the host and instances (or two instances) with scp or rsync over each instance's ssh.config. */
export async function copy(src: string, dst: string, opts: CopyOptions = {}): Promise<void> {
  const home = opts.home ?? tslimaHome();
  const names = listInstanceNames(home);
  const a = parseCopyArg(src, names);
  const b = parseCopyArg(dst, names);
  const involved = [...new Set([a.instance, b.instance].filter((n): n is string => n !== undefined))];
  if (involved.length === 0) {
    throw new TslimaError("COPY_LOCAL", "neither side names an instance", { hint: "write one side as NAME:PATH, e.g. tslima copy ./f default:/tmp/f" });
  }
  for (const n of involved) {
    const st = inspectStatus(requireInstance(home, n));
    if (st.status !== "Running") throw new TslimaError("NOT_RUNNING", `instance ${n} is ${st.status}`, { hint: `start it: tslima start ${n}` });
  }
  const asked = opts.backend ?? "auto";
  const single = involved.length === 1 ? requireInstance(home, involved[0]!) : undefined;
  const hostRsync = asked !== "scp" && whichSync("rsync") !== undefined;
  let guestRsync = hostRsync && single !== undefined && (await guestHasRsync(single));
  if (asked === "rsync" && hostRsync && single !== undefined && !guestRsync) {
    // asked for by name: installed once, as shell --sync does (auto takes scp instead)
    opts.onMessage?.(`installing rsync in ${single.name} (the guest has none)`);
    const r = await installGuestRsync(single);
    if (r.code !== 0) throw new TslimaError("COPY_BACKEND", `copy --backend rsync: rsync is not installed in ${single.name} and could not be installed: ${r.stderr.trim().split("\n").at(-1) ?? ""}`, { hint: "install rsync there, or use --backend scp (or auto)" });
    guestRsync = true;
  }
  // rsync runs between the host and one instance: two guest paths (even of one instance) take scp -3
  const remotes = [a, b].filter((e) => e.instance !== undefined).length;
  const tool = chooseCopyBackend(asked, { instances: remotes, hostRsync, guestRsync });
  const [from, to] = tool === "rsync" && opts.recursive === true ? rsyncEndpoints(a, b, await isDirectory(b, single)) : [a, b];
  // One ssh config holding every involved instance's Host block.
  const tmp = mkdtempSync(join(tmpdir(), "tslima-copy-"));
  try {
    const cfg = join(tmp, "ssh.config");
    writeFileSync(cfg, involved.map((n) => readFileSync(requireInstance(home, n).sshConfig, "utf8")).join("\n"));
    const args = copyArgv(tool, cfg, from, to, { recursive: opts.recursive === true, verbose: opts.verbose === true });
    if (opts.verbose) opts.onVerbose?.(`${tool} ${shellJoin(args)}`);
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = startChild(tool, args, { stdio: ["ignore", "inherit", "pipe"] });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => {
        if (opts.verbose) process.stderr.write(d);
        stderr = (stderr + d.toString("utf8")).slice(-65536); // the guest may print without end: the tail
      });
      child.once("error", (e) => resolve({ code: 255, stderr: e.message }));
      child.once("close", (code) => resolve({ code: code ?? 255, stderr }));
    });
    // scp -q keeps ssh quiet, so a refused host key is told apart by asking ssh once more per instance.
    if (r.code === 255 || (tool === "rsync" && r.code !== 0)) {
      for (const n of involved) {
        const paths = requireInstance(home, n);
        if (isHostKeyMismatch((await guestExec(paths, ["true"], { timeoutMs: 30_000 })).stderr)) throw hostKeyMismatchError(paths);
      }
    }
    if (r.code !== 0) {
      throw new TslimaError("COPY_FAILED", `copy ${src} -> ${dst} failed: ${r.stderr.trim() || `${tool} exited with ${r.code}`}`, {
        hint: opts.recursive ? "check both paths exist" : "check both paths exist; use -r for directories",
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
