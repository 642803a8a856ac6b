import { connect } from "node:net";
import type { InstancePaths } from "../store/paths.js";
import { TslimaError } from "../errors.js";
import { lastLines, runProgram } from "../proc/run.js";
import { poll } from "../proc/wait.js";
import { sshArgv } from "./argv.js";
import { hostKeyMismatchError, isHostKeyMismatch } from "./hostkey.js";

/**
 * One attempt to read an SSH identification line ("SSH-2.0-...") from 127.0.0.1:port; resolves with
 * it, or undefined when the connection closes, fails or says something else within `timeoutMs`.
 */
export function readBanner(port: number, timeoutMs: number, host = "127.0.0.1"): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = "";
    let done = false;
    const s = connect({ port, host });
    const finish = (v: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl).trimEnd();
        // RFC 4253: lines before the identification string are allowed; only SSH- counts.
        if (line.startsWith("SSH-")) finish(line);
        else buf = buf.slice(nl + 1);
      } else if (buf.length > 1024) finish(undefined);
    });
    s.on("error", () => finish(undefined));
    s.on("close", () => finish(undefined));
  });
}

/**
 * Waits until the guest's sshd answers on the forwarded port with its banner (QEMU's user network
 * accepts connections before the guest listens, so an accepted connection alone means nothing).
 */
export async function waitForBanner(port: number, timeoutMs: number, opts: { signal?: AbortSignal } = {}): Promise<string> {
  const banner = await poll((d) => readBanner(port, Math.min(5000, Math.max(1, d.remaining()))), { timeoutMs, intervalMs: 500, ...opts });
  if (banner !== undefined) return banner;
  throw new TslimaError("SSH_TIMEOUT", `no ssh banner on 127.0.0.1:${port} within ${Math.round(timeoutMs / 1000)}s`, {
    hint: "the guest did not start sshd in time: see serial.log in the instance directory, or raise --timeout",
  });
}

/** Between ssh attempts to a resumed guest, whose sshd runs already (a booting one's comes up in minutes: 1 s). */
export const RESUMED_SSH_POLL_MS = 250;

/**
 * Retries `ssh -F ssh.config lima-NAME true` until it succeeds (the guest accepts our key, which also
 * starts the ControlMaster). Resolves with the number of attempts. `beforeAttempt` may throw to end
 * the wait (the host agent's check that QEMU still runs). `intervalMs` (default 1 s) between attempts.
 */
export async function waitForSsh(
  paths: InstancePaths,
  timeoutMs: number,
  opts: { signal?: AbortSignal; ssh?: string; beforeAttempt?: () => void; denialIsFinal?: boolean; intervalMs?: number } = {},
): Promise<number> {
  const argv = sshArgv(paths, { tty: false, command: ["true"], login: false });
  let lastErr = "";
  const attempts = await poll(
    async (d, n) => {
      const r = await runProgram(opts.ssh ?? "ssh", argv, { timeoutMs: Math.min(30_000, Math.max(1000, d.remaining())) });
      if (r.code === 0) return n;
      // Not the guest's pinned key: waiting longer cannot help, and must not look like a slow boot.
      if (isHostKeyMismatch(r.stderr)) throw hostKeyMismatchError(paths);
      // A booting guest may refuse the key until cloud-init installs it; a resumed one has the users
      // and keys it had when its state was saved, so a refusal stays a refusal.
      if (opts.denialIsFinal === true && isKeyDenied(r.stderr)) throw keyDeniedError(paths, lastLines(r.stderr, 2).join(" | "));
      lastErr = lastLines(r.stderr, 3).join(" | ") || (r.spawnError ? r.spawnError.message : `exit ${r.code ?? r.signal ?? "?"}`);
      return undefined;
    },
    { timeoutMs, intervalMs: opts.intervalMs ?? 1000, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.beforeAttempt ? { beforeAttempt: opts.beforeAttempt } : {}) },
  );
  if (attempts !== undefined) return attempts;
  throw new TslimaError("SSH_TIMEOUT", `ssh to instance ${paths.name} did not succeed within ${Math.round(timeoutMs / 1000)}s (last: ${lastErr})`, {
    hint: "see serial.log in the instance directory (cloud-init may have failed to install the key), or raise --timeout",
  });
}

/** Whether ssh's stderr says the server refused every offered key ("Permission denied (publickey)"). Pure. */
export function isKeyDenied(stderr: string): boolean {
  return /Permission denied \(publickey/.test(stderr);
}

function keyDeniedError(paths: InstancePaths, detail: string): TslimaError {
  return new TslimaError("SSH_AUTH", `the guest of instance ${paths.name} refused the ssh user key (${detail})`, {
    hint: `a resumed guest has the users and keys it was saved with: the instance's user (user.name in ${paths.limaYaml}) and its TSLIMA_HOME's ssh key (_config/user) must be the ones it booted with; \`tslima stop ${paths.name}\` drops the saved state, and the next start boots afresh`,
  });
}
