import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { startChild } from "../proc/child.js";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { TslimaError } from "../errors.js";
import { tslimaHome } from "../store/paths.js";
import { listInstanceNames, requireInstance } from "./lookup.js";
import { inspectStatus } from "../store/status.js";
import { hostKeyMismatchError, isHostKeyMismatch } from "../ssh/index.js";
import { guestExec } from "../ssh/exec.js";

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
    if (/^[a-z0-9][a-z0-9.-]*$/.test(name) && !arg.startsWith("/") && !arg.startsWith(".")) {
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

/** Copies files between the host and instances with scp over each instance's ssh.config. */
export async function copy(src: string, dst: string, opts: { home?: string; recursive?: boolean } = {}): Promise<void> {
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
  // One ssh config holding every involved instance's Host block.
  const tmp = mkdtempSync(join(tmpdir(), "tslima-copy-"));
  try {
    const cfg = join(tmp, "ssh.config");
    writeFileSync(cfg, involved.map((n) => readFileSync(requireInstance(home, n).sshConfig, "utf8")).join("\n"));
    const args = ["-F", cfg, "-q", "-p", ...(opts.recursive ? ["-r"] : []), ...(a.instance && b.instance ? ["-3"] : []), scpArg(a), scpArg(b)];
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = startChild("scp", args, { stdio: ["ignore", "inherit", "pipe"] });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
      child.once("error", (e) => resolve({ code: 255, stderr: e.message }));
      child.once("close", (code) => resolve({ code: code ?? 255, stderr }));
    });
    // scp -q keeps ssh quiet, so a refused host key is told apart by asking ssh once more per instance.
    if (r.code === 255) {
      for (const n of involved) {
        const paths = requireInstance(home, n);
        if (isHostKeyMismatch((await guestExec(paths, ["true"], { timeoutMs: 30_000 })).stderr)) throw hostKeyMismatchError(paths);
      }
    }
    if (r.code !== 0) {
      throw new TslimaError("COPY_FAILED", `copy ${src} -> ${dst} failed: ${r.stderr.trim() || `scp exited with ${r.code}`}`, {
        hint: opts.recursive ? "check both paths exist" : "check both paths exist; use -r for directories",
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
