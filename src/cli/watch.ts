import type { Command } from "commander";

interface WatchFlags {
  json?: boolean;
  history?: boolean;
  verbose?: boolean;
}

/**
 * `watch [INSTANCE...]` (Lima's `limactl watch`): the instances' events as they happen, also of
 * instances created meanwhile (when none are named), until Ctrl-C or SIGTERM (exit 0). Text lines
 * `TIME INSTANCE | MESSAGE`, or JSON lines with `--json`; notices go to stderr.
 */
export function register(program: Command): void {
  program
    .command("watch")
    .description("print the instances' events (status, port forwards, errors) as they happen, until Ctrl-C (Lima's `limactl watch`)")
    .argument("[instances...]", "instances to watch (default: all, also those created later)")
    .option("--json", "one JSON object per event and line, for scripts")
    .option("--history", "also the events from before the watch began")
    .option("--verbose", "also boot steps, progress and messages")
    .action(async (instances: string[], flags: WatchFlags) => {
      const { formatWatchJson, formatWatchText, watchInstances } = await import("../internal.js");
      const format = flags.json === true ? formatWatchJson : formatWatchText;
      const stamp = () => new Date().toISOString();
      const stopped = new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
        // the reader went away (`watch | head`): nothing more to print
        process.stdout.once("error", () => resolve());
      });
      const watcher = watchInstances({
        instances,
        history: flags.history === true,
        verbose: flags.verbose === true,
        onEvent: (e) => process.stdout.write(format(e)),
      });
      if (watcher.instances.length === 0 && instances.length === 0) process.stderr.write(`${stamp()} No instances yet\n`);
      for (const name of instances.filter((n) => !watcher.instances.includes(n))) process.stderr.write(`${stamp()} Instance ${name} does not exist (yet)\n`);
      process.stderr.write(`${stamp()} Watching for events...\n`);
      await stopped;
      await watcher.close();
    });
}
