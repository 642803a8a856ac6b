import { TslimaError } from "../errors.js";
import type { Probe } from "../config/types.js";
import type { MountPlan } from "../mounts/types.js";
import type { InstancePaths } from "../store/paths.js";
import { guestExec, runCollect, shScript } from "../ssh/exec.js";
import { PROVISION_LOG } from "../cidata/index.js";
import { sshControlExitArgv } from "../ssh/index.js";
import { verifyGuestMounts } from "./mountcheck.js";
import { Deadline, poll } from "../proc/wait.js";

/** Something that ends a wait early: qemu died, or a stop was requested. Throws with the reason. */
export type Interrupt = () => void;

const READY_CHECK = [
  "if [ -e /run/tslima-ready ]; then echo ready; exit 0; fi",
  "if [ -e /run/cloud-init/result.json ]; then echo cloud-init-finished; cat /run/cloud-init/result.json; else echo waiting; fi",
].join("\n");

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

/**
 * Waits for /run/tslima-ready (cloud-init done, mounts and provisioning finished). Fails when
 * cloud-init reports errors, or finished `graceMs` ago without the ready file appearing.
 */
export async function waitForReady(paths: InstancePaths, interrupt: Interrupt, signal: AbortSignal, graceMs = 180_000): Promise<void> {
  let grace: Deadline | undefined;
  await poll(
    async () => {
      const r = await guestExec(paths, shScript(READY_CHECK), { timeoutMs: 60_000 });
      if (r.code !== 0) return undefined;
      const [first, ...rest] = r.stdout.split("\n");
      if (first === "ready") return true;
      if (first !== "cloud-init-finished") return undefined;
      const errors = cloudInitErrors(rest.join("\n"));
      if (errors.length > 0) {
        throw new TslimaError("CLOUD_INIT", `cloud-init failed in the guest: ${errors.join("; ")}`, {
          hint: "see /var/log/cloud-init-output.log in the guest (shown below)",
        });
      }
      grace ??= new Deadline(graceMs);
      if (grace.expired()) {
        throw new TslimaError("NOT_READY", "cloud-init finished but the guest never signalled readiness (/run/tslima-ready)", {
          hint: "a provision script or mount may hang; see /var/log/cloud-init-output.log in the guest",
        });
      }
      return undefined;
    },
    { timeoutMs: Infinity, intervalMs: 2000, signal, beforeAttempt: interrupt },
  );
}

/** Checks that every planned mount shows up in the guest as intended (see verifyGuestMounts). */
export async function verifyMounts(paths: InstancePaths, plan: MountPlan): Promise<void> {
  await verifyGuestMounts(paths, plan);
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
      out.push(`provision[${f.index ?? "?"}] (${f.mode ?? "?"}) failed with exit code ${f.exit ?? "?"}: ${f.what ?? ""}`.trimEnd());
    } catch {
      out.push(line.trim());
    }
  }
  return out;
}

/** The provisioning steps that failed on this boot ([] when all succeeded or the log cannot be read). */
export async function provisionFailures(paths: InstancePaths): Promise<string[]> {
  const r = await guestExec(paths, shScript(`if [ -s ${PROVISION_LOG} ]; then cat ${PROVISION_LOG}; fi`), { timeoutMs: 30_000 });
  return r.code === 0 ? describeProvisionFailures(r.stdout) : [];
}

/** The interpreter of a script from its #! line, default /bin/sh. Pure. */
export function interpreterOf(script: string): string[] {
  const first = script.split("\n", 1)[0] ?? "";
  if (!first.startsWith("#!")) return ["/bin/sh"];
  const parts = first.slice(2).trim().split(/\s+/).filter((s) => s !== "");
  return parts.length > 0 ? parts : ["/bin/sh"];
}

/**
 * Runs each readiness probe until it succeeds (Lima retries them until the start times out). When
 * provisioning failed (`provisionFailed`, one line per step), what a probe waits for will most likely
 * never come: a probe that fails then fails the start at once, naming the failed steps and its hint.
 */
export async function runProbes(
  paths: InstancePaths,
  probes: Probe[],
  interrupt: Interrupt,
  signal: AbortSignal,
  onRetry: (p: Probe) => void,
  provisionFailed: string[] = [],
): Promise<void> {
  for (const p of probes) {
    await poll(
      async (_d, n) => {
        const r = await guestExec(paths, interpreterOf(p.script), { input: p.script, timeoutMs: 120_000 });
        if (r.code === 0) return true;
        if (provisionFailed.length > 0) {
          const last = r.stderr.trim().split("\n").pop() ?? "";
          throw new TslimaError("PROBE_FAILED", `readiness probe "${p.description}" failed${last ? ` (${last})` : ""} after provisioning failed: ${provisionFailed.join("; ")}`, {
            hint: p.hint || "see /var/log/cloud-init-output.log in the guest (shown below)",
          });
        }
        if (n === 1) onRetry(p);
        return undefined;
      },
      { timeoutMs: Infinity, intervalMs: 3000, signal, beforeAttempt: interrupt },
    );
  }
}

/** The last lines of /var/log/cloud-init-output.log, when ssh works; [] otherwise. */
export async function cloudInitOutputTail(paths: InstancePaths, lines = 30): Promise<string[]> {
  const r = await guestExec(paths, shScript(`sudo -n tail -n ${lines} /var/log/cloud-init-output.log 2>/dev/null || tail -n ${lines} /var/log/cloud-init-output.log`), {
    timeoutMs: 15_000,
  });
  return r.code === 0 ? r.stdout.split("\n").filter((l) => l !== "") : [];
}
