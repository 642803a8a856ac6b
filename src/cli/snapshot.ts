import type { Command } from "commander";
import { parseDuration } from "./duration.js";
import { progressPrinter } from "./start.js";

export function register(program: Command): void {
  const snapshot = program.command("snapshot").description("booted snapshots: a running VM's disk and memory, from which new instances resume in seconds");
  snapshot
    .command("create")
    .description("take booted snapshot SNAP of running instance NAME (the VM runs on); `tslima start --from SNAP NEW` makes instances from it")
    .argument("<name>", "the running instance")
    .argument("[snap]", "the snapshot's name (with --running)")
    .option("--running", "a booted snapshot of the running VM (disk and memory); the only kind tslima takes today")
    .option("--tag <tag>", "Lima's per-instance snapshot tag (not supported yet)")
    .option("--timeout <duration>", "give up waiting after this long", "10m")
    .action(async (name: string, snap: string | undefined, flags: { running?: boolean; tag?: string; timeout: string }) => {
      const { createSnapshot, TslimaError } = await import("../index.js");
      if (flags.tag !== undefined || flags.running !== true || snap === undefined) {
        throw new TslimaError("INVALID_FLAG", flags.tag !== undefined ? "snapshot create --tag (Lima's qcow2 snapshots of one instance) is not supported yet" : "snapshot create needs --running and a snapshot name", {
          hint: `take a booted snapshot: tslima snapshot create --running ${name} SNAP`,
        });
      }
      const s = await createSnapshot(name, snap, { timeoutMs: parseDuration(flags.timeout), onEvent: progressPrinter(), onMessage: (m) => void process.stderr.write(`${m}\n`) });
      process.stdout.write(`Snapshot ${snap} of ${name} is taken (${(s.record.stateBytes / 1048576).toFixed(0)} MiB of state); ${name} runs on. Run \`tslima start --from ${snap} NEW\` to make an instance from it.\n`);
    });
  snapshot
    .command("list")
    .description("list the booted snapshots")
    .option("--json", "one JSON object per line")
    .action(async (flags: { json?: boolean }) => {
      const { snapshots } = await import("../index.js");
      const all = snapshots();
      if (flags.json) {
        for (const s of all) process.stdout.write(`${JSON.stringify({ name: s.record.name, source: s.record.source, createdAt: s.record.createdAt, stateBytes: s.record.stateBytes, dir: s.paths.dir })}\n`);
        return;
      }
      const { table } = await import("./output.js");
      process.stdout.write(table(["NAME", "SOURCE", "CREATED", "STATE"], all.map((s) => [s.record.name, s.record.source, s.record.createdAt, `${(s.record.stateBytes / 1048576).toFixed(0)}MiB`])));
    });
  snapshot
    .command("delete")
    .description("delete a booted snapshot (instances made from it keep working)")
    .argument("<snap>", "the snapshot's name")
    .action(async (snap: string) => {
      const { removeSnapshot } = await import("../index.js");
      removeSnapshot(snap);
      process.stdout.write(`Deleted snapshot ${snap}\n`);
    });
}
