import { TslimaError } from "../errors.js";
import type { InstancePaths } from "../store/paths.js";
import { guestExec, runCollect, shScript } from "../ssh/exec.js";
import { sshControlExitArgv } from "../ssh/index.js";
import { Deadline, poll } from "../proc/wait.js";

/** Something that ends a wait early: qemu died, or a stop was requested. Throws with the reason. */
export type Interrupt = () => void;

/** Parses /run/cloud-init/result.json's errors. Pure. */
export function cloudInitErrors(resultJson: string): string[] {
  try {
    const v = JSON.parse(resultJson) as { v1?: { errors?: unknown } };
    const errs = v.v1?.errors;
    return Array.isArray(errs) ? errs.map((e) => String(e)) : [];
  } catch {
    return [];
  }
}

/** What the ready-file script's "light-*" answers mean (see readiness-plan.ts). */
const LIGHT_BOOT_FAILURES: Record<string, string> = {
  "light-missing": "the guest has no tslima-boot.service to do the per-boot work",
  "light-failed": "tslima-boot.service failed in the guest",
  "light-skipped": "tslima-boot.service did not run in the guest",
};

/**
 * Waits until `script` (see the "ready-file" readiness step) says the ready file exists. Fails when
 * cloud-init reports errors, or finished `graceMs` ago without the ready file appearing.
 */
export async function waitForReady(paths: InstancePaths, script: string, interrupt: Interrupt, signal: AbortSignal, graceMs: number, hint: string): Promise<void> {
  let grace: Deadline | undefined;
  await poll(
    async () => {
      const r = await guestExec(paths, shScript(script), { timeoutMs: 60_000 });
      if (r.code !== 0) return undefined;
      const [first, ...rest] = r.stdout.split("\n");
      if (first === "ready") return true;
      const light = first?.startsWith("light-") ? LIGHT_BOOT_FAILURES[first] : undefined;
      if (light !== undefined) throw new TslimaError("NOT_READY", `cloud-init was switched off for this boot (cidata unchanged), but ${light}`, { hint });
      if (first !== "cloud-init-finished") return undefined;
      const errors = cloudInitErrors(rest.join("\n"));
      if (errors.length > 0) {
        throw new TslimaError("CLOUD_INIT", `cloud-init failed in the guest: ${errors.join("; ")}`, {
          hint: "see /var/log/cloud-init-output.log in the guest (shown below)",
        });
      }
      grace ??= new Deadline(graceMs);
      if (grace.expired()) throw new TslimaError("NOT_READY", "cloud-init finished but the guest never signalled readiness (/run/tslima-ready)", { hint });
      return undefined;
    },
    { timeoutMs: Infinity, intervalMs: 2000, signal, beforeAttempt: interrupt },
  );
}

/**
 * Ends the ControlMaster; the next ssh command logs in afresh. sshd fixes a session's groups at
 * login, so a user that provisioning added to a group (docker) only gets it on a new connection,
 * and the forwards and commands after the boot need it (Lima resets its master at the same point).
 */
export async function resetControlMaster(paths: InstancePaths): Promise<void> {
  await runCollect("ssh", sshControlExitArgv(paths), undefined, 10_000);
}

/** One line per failed provisioning step, from the runner's JSON lines. Pure. */
export function describeProvisionFailures(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const f = JSON.parse(line) as { mode?: string; index?: number; exit?: number; what?: string };
      // containerd's installer (cidata/containerd.ts) is no provision entry: named by its field
      const step = f.mode === "containerd" ? "containerd" : `provision[${f.index ?? "?"}] (${f.mode ?? "?"})`;
      out.push(`${step} failed with exit code ${f.exit ?? "?"}: ${f.what ?? ""}`.trimEnd());
    } catch {
      out.push(line.trim());
    }
  }
  return out;
}

/** The provisioning steps that failed on this boot, from `script`'s output ([] when all succeeded or it cannot be read). */
export async function provisionFailures(paths: InstancePaths, script: string): Promise<string[]> {
  const r = await guestExec(paths, shScript(script), { timeoutMs: 30_000 });
  return r.code === 0 ? describeProvisionFailures(r.stdout) : [];
}

/**
 * Runs one readiness probe until it succeeds (Lima retries them until the start times out). When
 * provisioning failed (`provisionFailed`, one line per step), what a probe waits for will most likely
 * never come: a probe that fails then fails the start at once, naming the failed steps and its hint.
 */
export async function runProbe(
  paths: InstancePaths,
  probe: { description: string; script: string; interpreter: string[]; hint: string },
  interrupt: Interrupt,
  signal: AbortSignal,
  onRetry: () => void,
  provisionFailed: string[],
): Promise<void> {
  await poll(
    async (_d, n) => {
      const r = await guestExec(paths, probe.interpreter, { input: probe.script, timeoutMs: 120_000 });
      if (r.code === 0) return true;
      if (provisionFailed.length > 0) {
        const last = r.stderr.trim().split("\n").pop() ?? "";
        throw new TslimaError("PROBE_FAILED", `readiness probe "${probe.description}" failed${last ? ` (${last})` : ""} after provisioning failed: ${provisionFailed.join("; ")}`, {
          hint: probe.hint,
        });
      }
      if (n === 1) onRetry();
      return undefined;
    },
    { timeoutMs: Infinity, intervalMs: 3000, signal, beforeAttempt: interrupt },
  );
}

/** The last lines of /var/log/cloud-init-output.log, when ssh works; [] otherwise. */
export async function cloudInitOutputTail(paths: InstancePaths, lines = 30): Promise<string[]> {
  const r = await guestExec(paths, shScript(`sudo -n tail -n ${lines} /var/log/cloud-init-output.log 2>/dev/null || tail -n ${lines} /var/log/cloud-init-output.log`), {
    timeoutMs: 15_000,
  });
  return r.code === 0 ? r.stdout.split("\n").filter((l) => l !== "") : [];
}
