/**
 * Saving and restoring a VM's state with QEMU's migration over QMP: the state goes to a file
 * (`migrate` to `exec:cat > FILE`) and comes back from it (`-incoming defer`, then
 * `migrate-incoming` from `exec:cat FILE`). See saveStateUri/loadStateUri in argv.ts.
 */
import { TslimaError } from "../errors.js";
import { poll } from "../proc/wait.js";
import type { QmpClient } from "./qmp.js";

interface MigrateInfo {
  status?: string;
  "error-desc"?: string;
  "total-time"?: number;
  "blocked-reasons"?: string[];
  ram?: { transferred?: number };
}

export interface MigrationResult {
  /** Bytes of RAM transferred, as QEMU counts them. */
  ramBytes: number;
  ms: number;
}

/** Why QEMU would refuse to migrate now (query-migrate's blocked-reasons, QEMU >= 6.0); [] when none. */
export async function migrationBlockers(qmp: QmpClient): Promise<string[]> {
  const info = (await qmp.execute("query-migrate")) as MigrateInfo;
  return info["blocked-reasons"] ?? [];
}

/** Polls query-migrate until the migration ends; resolves on "completed", throws on anything else. */
async function waitMigration(qmp: QmpClient, what: string, timeoutMs: number, code: "SUSPEND_FAILED" | "RESUME_FAILED"): Promise<MigrationResult> {
  const t0 = Date.now();
  const done = await poll(
    async () => {
      const info = (await qmp.execute("query-migrate")) as MigrateInfo;
      switch (info.status) {
        case "completed":
          return { ramBytes: info.ram?.transferred ?? 0, ms: info["total-time"] ?? Date.now() - t0 };
        case "failed":
        case "cancelled":
          throw new TslimaError(code, `${what} failed: ${info["error-desc"] ?? info.status}`, { hint: "see ha.stderr.log of the instance" });
        default:
          return undefined;
      }
    },
    { timeoutMs, intervalMs: 50 },
  );
  if (done === undefined) {
    throw new TslimaError(code, `${what} did not finish within ${Math.round(timeoutMs / 1000)}s`, { hint: "see ha.stderr.log of the instance" });
  }
  return done;
}

/**
 * Pauses the guest and writes its whole state through `uri` (saveStateUri), unthrottled. On
 * failure the guest is resumed (`cont`) before the error is thrown, so the VM keeps running.
 * On success QEMU is left paused (postmigrate): the caller quits it.
 */
export async function saveVmState(qmp: QmpClient, uri: string, timeoutMs = 10 * 60_000): Promise<MigrationResult> {
  await qmp.execute("stop");
  try {
    // The guest is paused: one pass, as fast as the file takes it (QEMU's default is 32 MiB/s).
    await qmp.execute("migrate-set-parameters", { "max-bandwidth": 64 * 1024 ** 3, "downtime-limit": 300_000 });
    await qmp.execute("migrate", { uri });
    return await waitMigration(qmp, "saving the VM state", timeoutMs, "SUSPEND_FAILED");
  } catch (e) {
    await qmp.execute("cont").catch(() => undefined);
    throw e;
  }
}

/**
 * Loads a saved state into a QEMU started with `-incoming defer`; resolves once it is loaded and
 * the guest runs again.
 */
export async function loadVmState(qmp: QmpClient, uri: string, timeoutMs = 5 * 60_000): Promise<MigrationResult> {
  await qmp.execute("migrate-incoming", { uri });
  const r = await waitMigration(qmp, "restoring the VM state", timeoutMs, "RESUME_FAILED");
  const st = (await qmp.execute("query-status")) as { status?: string; running?: boolean };
  if (st.running !== true) await qmp.execute("cont");
  return r;
}
