/**
 * Lima's `copyToHost`, after the readiness steps and before READY: each guest file is read over the
 * instance's ssh (`cat` as the user; as root with `sudo -n` when the user may not read it, as Lima
 * does) and written to its host path from lima.yaml. The guest decides only the content: at most
 * COPY_TO_HOST_MAX_BYTES, written to a new 0600 file in the host path's directory (made 0700 when
 * missing) and renamed over the path, so a link planted there is replaced, never followed.
 */
import { dirname } from "node:path";
import { TslimaError } from "../errors.js";
import { COPY_TO_HOST_MAX_BYTES, type CopyToHostRule } from "../config/copy-to-host.js";
import { startChild } from "../proc/child.js";
import { TailBuffer } from "../proc/tail.js";
import { sshArgv } from "../ssh/argv.js";
import { writeFileAtomic } from "../store/atomic.js";
import { recordHostCopy } from "../store/host-copies.js";
import { makePrivateDir } from "../store/private.js";
import type { InstancePaths } from "../store/paths.js";

/** A guest file read: its bytes, or "missing" (no such file or directory). */
type GuestRead = { data: Buffer } | "missing";

/** How long one file may take (64 MiB over ssh under TCG takes well under a minute). */
const READ_TIMEOUT_MS = 300_000;

/** Copies each rule's guest file to the host; throws COPY_TO_HOST for a file that cannot be, unless it is missing and skipIfMissing. */
export async function copyToHost(paths: InstancePaths, rules: readonly CopyToHostRule[], say: (m: string) => void, signal: AbortSignal): Promise<void> {
  for (const [i, r] of rules.entries()) {
    const got = await readGuestFile(paths, r.guest, signal, i);
    if (got === "missing") {
      if (r.skipIfMissing) {
        say(`copyToHost: ${r.guest} does not exist in the guest: skipped (skipIfMissing)`);
        continue;
      }
      throw new TslimaError("COPY_TO_HOST", `copyToHost[${i}]: ${r.guest} does not exist in the guest`, {
        hint: `make the guest create it before READY (a provision script), or set copyToHost[${i}].skipIfMissing: true in lima.yaml`,
      });
    }
    if (r.deleteOnStop) recordHostCopy(paths, r.host);
    writeHostCopy(r.host, got.data, i);
    say(`copyToHost: copied ${r.guest} to ${r.host} (${got.data.length} bytes)`);
  }
}

/** Writes a copy: parents made 0700, a new 0600 file renamed over `host` (a link there is replaced, not followed). */
export function writeHostCopy(host: string, data: Buffer, index: number): void {
  try {
    makePrivateDir(dirname(host));
    writeFileAtomic(host, data, { mode: 0o600 });
  } catch (e) {
    throw new TslimaError("COPY_TO_HOST", `copyToHost[${index}]: cannot write ${host}: ${(e as Error).message}`, {
      hint: `choose a host path you can write, a file and not a directory (copyToHost[${index}].host in lima.yaml)`,
    });
  }
}

/** `cat` as the user, then, when the user may not read it, as root (`sudo -n`, as Lima retries with sudo). */
async function readGuestFile(paths: InstancePaths, guest: string, signal: AbortSignal, index: number): Promise<GuestRead> {
  const cat = ["env", "LANG=C", "LC_ALL=C", "cat", "--", guest];
  let r = await sshBytes(paths, cat, signal);
  if (r.code !== 0 && r.stderr.includes("Permission denied")) r = await sshBytes(paths, ["sudo", "-n", ...cat], signal);
  if (r.over) {
    throw new TslimaError("COPY_TO_HOST", `copyToHost[${index}]: ${guest} is larger than ${COPY_TO_HOST_MAX_BYTES / 1048576} MiB`, {
      hint: "copyToHost is for small files (configuration, credentials); copy large ones with `tslima copy`",
    });
  }
  if (r.code === 0) return { data: r.stdout };
  if (r.stderr.includes("No such file or directory")) return "missing";
  const why = r.stderr.trim().split("\n").pop()?.slice(0, 300) || (r.code === null ? "ssh was cut off (timed out or interrupted)" : `ssh exited with ${r.code}`);
  throw new TslimaError("COPY_TO_HOST", `copyToHost[${index}]: cannot read ${guest} in the guest: ${why}`, {
    hint: "the user reads it, or root with passwordless sudo (user.passwordlessSudo); see ha.stderr.log",
  });
}

interface BytesResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** More than COPY_TO_HOST_MAX_BYTES came: the read was cut off. */
  over: boolean;
}

/** Runs a command in the guest over ssh, keeping its stdout as bytes (at most the cap) and the tail of its stderr. */
function sshBytes(paths: InstancePaths, command: string[], signal: AbortSignal): Promise<BytesResult> {
  return new Promise((resolve) => {
    const child = startChild("ssh", sshArgv(paths, { tty: false, command, login: false }), { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let size = 0;
    let over = false;
    const err = new TailBuffer(64 * 1024);
    const kill = () => child.kill("SIGKILL");
    const timer = setTimeout(kill, READ_TIMEOUT_MS);
    signal.addEventListener("abort", kill, { once: true });
    child.stdout?.on("data", (b: Buffer) => {
      if (over) return;
      size += b.length;
      if (size > COPY_TO_HOST_MAX_BYTES) {
        over = true;
        out.length = 0;
        kill();
      } else out.push(b);
    });
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => err.push(Buffer.from(`ssh: ${e.message}\n`)));
    child.on("close", (code) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", kill);
      resolve({ code: signal.aborted ? null : code, stdout: Buffer.concat(out), stderr: err.text(), over });
    });
  });
}
