/**
 * Making a pool's instance (instance/pool.ts) from a booted snapshot: named PREFIX-N with the
 * first N not taken in the home (an instance made under the same name at the same moment by
 * another pool makes this one try the next), and owned by this process (store/owner.ts), so that
 * when the process dies without closing its pool the next tslima command deletes what it left.
 */
import { existsSync } from "node:fs";
import { isTslimaError, TslimaError } from "../errors.js";
import { ownerRecord } from "../store/owner.js";
import { instancePaths } from "../store/paths.js";
import { createFromSnapshot, type FromSnapshotOptions } from "./from-snapshot.js";
import { writeOwner } from "./owned.js";

/** Names tried before giving up (each taken one is skipped by a stat, without creating anything). */
const MAX_TRIES = 10_000;

/** Creates (without starting) the next pool instance from `snap`; returns its name. `next()` gives the numbers to try. */
export async function createPoolMember(snap: string, prefix: string, next: () => number, opts: FromSnapshotOptions & { home: string }): Promise<string> {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const name = `${prefix}-${next()}`;
    if (existsSync(instancePaths(opts.home, name).dir)) continue;
    try {
      await createFromSnapshot(snap, name, opts);
    } catch (e) {
      if (isTslimaError(e) && e.code === "ERR_TSLIMA_INSTANCE_EXISTS") continue;
      throw e;
    }
    writeOwner(instancePaths(opts.home, name).dir, ownerRecord(`Instance.pool of snapshot ${snap}`));
    return name;
  }
  throw new TslimaError("INSTANCE_EXISTS", `no free instance name ${prefix}-N in ${opts.home} after ${MAX_TRIES} tries`, {
    hint: "delete the pool instances left there (tslima list), or give Instance.pool another namePrefix",
  });
}
