import type { Command } from "commander";

/** `tslima prune`: empties the download cache; with --builds also the local image builds. */
export function register(program: Command): void {
  program
    .command("prune")
    .description("Empty the image download cache (TSLIMA_HOME/_cache/download); local builds stay unless --builds")
    .option("--builds", "also remove locally built images and their package cache (~/.cache/tslima)")
    .action(async (o: { builds?: boolean }) => {
      const { buildCacheDir, formatBytes, globalPaths, pruneBuilds, pruneDownloads, tslimaHome } = await import("../internal.js");
      const home = tslimaHome();
      const d = await pruneDownloads(home);
      process.stdout.write(
        `removed ${d.removed} cached download(s), ${formatBytes(d.bytes)}, from ${globalPaths(home).downloadCache}\n`,
      );
      if (o.builds) {
        const b = await pruneBuilds(buildCacheDir());
        process.stdout.write(`removed ${b.removed} local build(s) and the package cache, ${formatBytes(b.bytes)}\n`);
        for (const s of b.skipped) process.stdout.write(`kept ${s} (a build is in progress)\n`);
      } else {
        process.stdout.write(`local image builds in ${buildCacheDir()}/build were kept (use --builds to remove them)\n`);
      }
    });
}
