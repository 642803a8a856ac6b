import { createHash } from "node:crypto";
import { join } from "node:path";

/** The files of one cached download, Lima's layout: `<cache>/<sha256 of url>/{data,url,digest}`. */
export interface CacheEntry {
  dir: string;
  data: string;
  url: string;
  digest: string;
  /** Where a download is written until its digest is checked (one per process). */
  partial: string;
}

/** Pure. `cacheDir` is globalPaths(home).downloadCache (TSLIMA_HOME/_cache/download/by-url-sha256). */
export function cacheEntry(cacheDir: string, url: string, pid: number = process.pid): CacheEntry {
  const dir = join(cacheDir, createHash("sha256").update(url).digest("hex"));
  return {
    dir,
    data: join(dir, "data"),
    url: join(dir, "url"),
    digest: join(dir, "digest"),
    partial: join(dir, `data.${pid}.partial`),
  };
}
