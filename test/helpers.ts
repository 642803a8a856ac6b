import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository root, from the compiled test file under dist/test/. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const sharedDir = join(repoRoot, "..", "shared");
export const fixturesDir = join(repoRoot, "test", "fixtures");
export const cliPath = join(repoRoot, "bin", "tslima.js");
