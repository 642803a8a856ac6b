import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository root, from the compiled test file under dist/test/. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const sharedDir = join(repoRoot, "..", "shared");
export const fixturesDir = join(repoRoot, "test", "fixtures");
export const cliPath = join(repoRoot, "bin", "tslima.js");

/** Every .yaml file below `dir` (Lima's templates and their _images/, _default/ building blocks), sorted. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((e) => {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) return yamlFilesUnder(p);
      return p.endsWith(".yaml") ? [p] : [];
    });
}
