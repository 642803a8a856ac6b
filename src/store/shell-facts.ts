/**
 * What `shell` and `exec` need of a running instance's config, recorded by the host agent when it
 * boots (`<instance>/shell.json`): the guest user's home and the mounts in effect. Reading it keeps
 * the YAML pipeline (src/config) off the path of every `tslima shell`; it is also the truth for a
 * running guest, whose mounts are those of its boot even when lima.yaml was edited since.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic.js";
import type { InstancePaths } from "./paths.js";

export interface ShellFacts {
  /** The guest user's home directory. */
  home: string;
  /** Host location -> guest mount point, as filled in the booted config. */
  mounts: Array<{ location: string; mountPoint: string }>;
}

/** Parses shell.json; undefined unless it has exactly the expected shape. Pure. */
export function parseShellFacts(text: string): ShellFacts | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const { home, mounts } = v as Record<string, unknown>;
  if (typeof home !== "string" || !Array.isArray(mounts)) return undefined;
  const out: ShellFacts["mounts"] = [];
  for (const m of mounts as unknown[]) {
    if (typeof m !== "object" || m === null) return undefined;
    const { location, mountPoint } = m as Record<string, unknown>;
    if (typeof location !== "string" || typeof mountPoint !== "string") return undefined;
    out.push({ location, mountPoint });
  }
  return { home, mounts: out };
}

/** The recorded facts, or undefined when there is no (valid) record. */
export function readShellFacts(paths: InstancePaths): ShellFacts | undefined {
  try {
    return parseShellFacts(readFileSync(paths.shellFacts, "utf8"));
  } catch {
    return undefined;
  }
}

/** Records the facts (atomically: a reader never sees half a file). */
export function writeShellFacts(paths: InstancePaths, facts: ShellFacts): void {
  writeFileAtomic(paths.shellFacts, `${JSON.stringify({ home: facts.home, mounts: facts.mounts.map((m) => ({ location: m.location, mountPoint: m.mountPoint })) })}\n`);
}
