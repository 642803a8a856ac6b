/**
 * Where a path lies under a mount, seen from the other side (pure): a host path under a mount's
 * `location` at its place under the `mountPoint`, or the reverse. The mount with the longest
 * matching directory wins. Used by `shell` (Lima's rule for the guest working directory: kept out
 * of src/mounts/, which the shell command does not load) and the MCP tools' path translation
 * (both ways).
 */
type Side = "location" | "mountPoint";

/** p without trailing slashes ("/" stays "/"). */
export function trimSlashes(p: string): string {
  return p.replace(/\/+$/, "") || "/";
}

/** The part of p below dir ("" for dir itself), or undefined when p is not under dir; both trimmed. */
export function below(p: string, dir: string): string | undefined {
  if (dir === "/") return p;
  if (p === dir) return "";
  return p.startsWith(`${dir}/`) ? p.slice(dir.length) : undefined;
}

/** p re-rooted from the `from` side of the mount it lies under to its `to` side, or undefined. */
export function reroot(p: string, mounts: readonly Pick<Record<Side, string>, Side>[], from: Side, to: Side): string | undefined {
  const path = trimSlashes(p);
  let best: { len: number; path: string } | undefined;
  for (const m of mounts) {
    const dir = trimSlashes(m[from]);
    const rest = below(path, dir);
    if (rest === undefined || (best !== undefined && best.len >= dir.length)) continue;
    const target = trimSlashes(m[to]);
    best = { len: dir.length, path: target === "/" ? rest || "/" : `${target}${rest}` };
  }
  return best?.path;
}
