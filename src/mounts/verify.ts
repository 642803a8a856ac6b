import { fstabUnescape } from "./fstab.js";
import type { PlannedMount } from "./types.js";

export interface MountEntry {
  source: string;
  mountPoint: string;
  fstype: string;
  options: string[];
}

/** Parses /proc/mounts (or /proc/self/mounts) text; fields are octal-escaped like fstab. */
export function parseProcMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    out.push({
      source: fstabUnescape(f[0] ?? ""),
      mountPoint: fstabUnescape(f[1] ?? ""),
      fstype: f[2] ?? "",
      options: (f[3] ?? "").split(","),
    });
  }
  return out;
}

function tokenOk(token: string, options: string[]): boolean {
  if (token.startsWith("!")) {
    const x = token.slice(1);
    return !options.some((o) => o === x || o.startsWith(`${x}=`));
  }
  if (token.startsWith("?")) {
    const x = token.slice(1);
    const key = x.split("=")[0] ?? x;
    return options.every((o) => (o.split("=")[0] ?? o) !== key || o === x);
  }
  return token.split("|").some((alt) => options.includes(alt));
}

export type MountCheck = { ok: true; entry: MountEntry } | { ok: false; reason: string; entry?: MountEntry };

/**
 * Does the guest's /proc/mounts show this planned mount as intended? The last entry for the mount
 * point counts (a later mount hides earlier ones). The reason names what is wrong.
 */
export function mountMatches(expect: PlannedMount["expect"], procMounts: string): MountCheck {
  const entries = parseProcMounts(procMounts).filter((e) => e.mountPoint === expect.mountPoint);
  const entry = entries[entries.length - 1];
  if (!entry) return { ok: false, reason: `${expect.mountPoint} is not mounted` };
  if (entry.fstype !== expect.fstype) {
    return { ok: false, entry, reason: `${expect.mountPoint} is ${entry.fstype}, expected ${expect.fstype}` };
  }
  const bad = expect.options.filter((t) => !tokenOk(t, entry.options));
  if (bad.length > 0) {
    return {
      ok: false,
      entry,
      reason: `${expect.mountPoint} has options ${entry.options.join(",")}, expected ${bad.join(" and ")}`,
    };
  }
  return { ok: true, entry };
}
