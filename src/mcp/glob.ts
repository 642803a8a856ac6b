/**
 * The `glob` tool's walk: matches an absolute pattern (glob-match.ts) against a file tree read
 * through `readdir` (the guest's, over SFTP), directory by directory, never further than the
 * pattern needs. Symbolic links are not followed by `**`. Bounded: at most `maxMatches` results
 * and `maxDirs` directories read, so `/**` cannot walk the guest for ever; `truncated` says so.
 */
import { posix } from "node:path";
import { parseGlob, type Segment } from "./glob-match.js";

export interface GlobEntry {
  name: string;
  isDir: boolean;
}

export interface GlobFs {
  /** The entries of a directory; rejects when it is not one or cannot be read. */
  readdir(dir: string): Promise<GlobEntry[]>;
  /** Whether a path exists (for the literal parts of a pattern). */
  exists(path: string): Promise<boolean>;
}

export interface GlobResult {
  matches: string[];
  truncated: boolean;
}

export interface GlobLimits {
  maxMatches: number;
  maxDirs: number;
}

export const GLOB_LIMITS: GlobLimits = { maxMatches: 10_000, maxDirs: 20_000 };

class Walk {
  readonly matches = new Set<string>();
  dirs = 0;
  truncated = false;

  constructor(
    private readonly fs: GlobFs,
    private readonly limits: GlobLimits,
  ) {}

  private full(): boolean {
    if (this.matches.size >= this.limits.maxMatches || this.dirs >= this.limits.maxDirs) this.truncated = true;
    return this.truncated;
  }

  private async list(dir: string): Promise<GlobEntry[]> {
    if (this.full()) return [];
    this.dirs++;
    try {
      return await this.fs.readdir(dir);
    } catch {
      return [];
    }
  }

  async step(dir: string, segs: Segment[], isDir: boolean): Promise<void> {
    if (this.full()) return;
    const [seg, ...rest] = segs;
    if (seg === undefined) {
      this.matches.add(dir);
      return;
    }
    if (seg.kind === "literal") {
      const next = posix.join(dir, seg.name);
      if (rest.length === 0 ? await this.fs.exists(next) : true) await this.step(next, rest, true);
      return;
    }
    if (!isDir) return;
    const entries = await this.list(dir);
    if (seg.kind === "any-depth") {
      await this.step(dir, rest, true);
      for (const e of entries) if (e.isDir) await this.step(posix.join(dir, e.name), segs, true);
      return;
    }
    for (const e of entries) {
      if (!seg.re.test(e.name)) continue;
      if (rest.length === 0) this.matches.add(posix.join(dir, e.name));
      else if (e.isDir || rest[0]?.kind === "literal") await this.step(posix.join(dir, e.name), rest, e.isDir);
      if (this.full()) return;
    }
  }
}

/** The paths matching an absolute pattern, sorted. Throws GlobSyntaxError for a bad pattern. */
export async function glob(pattern: string, fs: GlobFs, limits: GlobLimits = GLOB_LIMITS): Promise<GlobResult> {
  const abs = posix.normalize(pattern);
  const walk = new Walk(fs, limits);
  await walk.step("/", parseGlob(abs), true);
  return { matches: [...walk.matches].sort(), truncated: walk.truncated };
}
