import type { Config } from "../config/types.js";
import { containerdArchives, wantsContainerd } from "../config/containerd.js";
import type { ContainerdArchiveFile } from "../cidata/containerd.js";
import { fetchFile, type ProgressListener } from "../images/index.js";
import { fileDigest, formatDigest } from "../images/digest.js";

/** What `containerd:` asks for, as its field names, for messages. */
function asked(config: Config): string {
  return [config.containerd.system ? "containerd.system" : "", config.containerd.user ? "containerd.user" : ""].filter((s) => s !== "").join(" and ");
}

/**
 * containerd.system/user: the first of containerd.archives for the config's arch that can be had (a
 * local file or a cached download through the image cache, digest-checked: a mismatch is never
 * used), with its digest. When none can be had the start goes on without containerd: ONE warning
 * naming the field, each location and why, and how to turn it off. Executor.
 */
export async function containerdArchive(config: Config, home: string, warn: (m: string) => void, onProgress?: ProgressListener): Promise<ContainerdArchiveFile | undefined> {
  if (!wantsContainerd(config)) return undefined;
  const archives = containerdArchives(config);
  const off = "set containerd: {system: false, user: false} in lima.yaml (or start with --containerd none) to silence this";
  if (archives.length === 0) {
    warn(`${asked(config)}: containerd.archives has no archive for arch ${config.arch}; containerd is not installed; add one or ${off}`);
    return undefined;
  }
  const failures: string[] = [];
  for (const a of archives) {
    try {
      const path = await fetchFile(a.location, a.digest, { tslimaHome: home, ...(onProgress ? { onProgress } : {}) });
      return { path, digest: a.digest ?? formatDigest(await fileDigest(path, "sha256")) };
    } catch (e) {
      failures.push(`${a.location}: ${(e as Error).message}`);
    }
  }
  warn(`${asked(config)}: no nerdctl-full archive could be had (${failures.join("; ")}); containerd is not installed on this boot; ${off}`);
  return undefined;
}
