import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { globalPaths } from "../store/paths.js";

export interface PruneResult {
  removed: number;
  bytes: number;
  /** Entries left alone because a build is running on them. */
  skipped: string[];
}

async function sizeOf(path: string): Promise<number> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.blocks * 512;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await sizeOf(join(path, name));
  return total;
}

/** Empties the download cache, TSLIMA_HOME/_cache/download/by-url-sha256. */
export async function pruneDownloads(tslimaHome: string): Promise<PruneResult> {
  const dir = globalPaths(tslimaHome).downloadCache;
  const result: PruneResult = { removed: 0, bytes: 0, skipped: [] };
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = join(dir, name);
    result.bytes += await sizeOf(p);
    await rm(p, { recursive: true, force: true });
    result.removed++;
  }
  return result;
}

/** Removes local image builds and the package cache under buildCacheDir(), except builds in progress. */
export async function pruneBuilds(buildCacheDir: string): Promise<PruneResult> {
  const result: PruneResult = { removed: 0, bytes: 0, skipped: [] };
  const buildDir = join(buildCacheDir, "build");
  const names = await readdir(buildDir).catch(() => [] as string[]);
  const busy = new Set(names.filter((n) => n.endsWith(".lock")).map((n) => n.slice(0, -".lock".length)));
  for (const name of names) {
    const p = join(buildDir, name);
    if (busy.has(name) || name.endsWith(".lock") || name.startsWith(".tmp-")) {
      result.skipped.push(p);
      continue;
    }
    result.bytes += await sizeOf(p);
    await rm(p, { recursive: true, force: true });
    result.removed++;
  }
  const debs = join(buildCacheDir, "debs");
  result.bytes += await sizeOf(debs);
  await rm(debs, { recursive: true, force: true });
  return result;
}
