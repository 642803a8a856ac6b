import type { Command } from "commander";
import { parseDuration } from "./duration.js";
import { progressPrinter } from "./start.js";

const TAG_HELP = "Lima's snapshot of instance NAME: an internal qcow2 snapshot of its disk (the instance must be stopped)";

export function register(program: Command): void {
  const snapshot = program
    .command("snapshot")
    .description("snapshots: with --tag, Lima's snapshots of one stopped instance's disk (create/apply/delete/list NAME --tag T); without, tslima's booted snapshots of a running VM (disk and memory) that new instances start from in seconds");
  snapshot
    .command("create")
    .description("`create NAME --tag T`: Lima's disk snapshot of stopped instance NAME; `create --running NAME SNAP`: a booted snapshot of running NAME (the VM runs on; `tslima start --from SNAP NEW` makes instances from it)")
    .argument("<name>", "the instance")
    .argument("[snap]", "the booted snapshot's name (with --running)")
    .option("--tag <tag>", TAG_HELP)
    .option("--running", "a booted snapshot of the running VM (disk and memory)")
    .option("--timeout <duration>", "give up waiting after this long (--running)", "10m")
    .action(async (name: string, snap: string | undefined, flags: { running?: boolean; tag?: string; timeout: string }) => {
      const { createSnapshot, tagSnapshot, TslimaError } = await import("../internal.js");
      if (flags.tag !== undefined && flags.running !== true && snap === undefined) {
        await tagSnapshot("create", name, flags.tag);
        process.stderr.write(`Took snapshot ${flags.tag} of ${name}; restore it with: limactl snapshot apply ${name} --tag ${flags.tag}\n`);
        return;
      }
      if (flags.tag !== undefined || flags.running !== true || snap === undefined) {
        throw new TslimaError("INVALID_FLAG", flags.tag !== undefined ? "snapshot create takes either --tag T (a disk snapshot of a stopped instance) or --running NAME SNAP (a booted snapshot), not both" : "snapshot create needs --tag T or --running and a snapshot name", {
          hint: `a disk snapshot of stopped ${name}: limactl snapshot create ${name} --tag T; a booted snapshot of running ${name}: tslima snapshot create --running ${name} SNAP`,
        });
      }
      const s = await createSnapshot(name, snap, { timeoutMs: parseDuration(flags.timeout), onEvent: progressPrinter(), onMessage: (m) => void process.stderr.write(`${m}\n`) });
      process.stdout.write(`Snapshot ${snap} of ${name} is taken (${(s.record.stateBytes / 1048576).toFixed(0)} MiB of state); ${name} runs on. Run \`tslima start --from ${snap} NEW\` to make an instance from it.\n`);
    });
  snapshot
    .command("apply")
    .description("restore stopped instance NAME's disk to snapshot --tag T (Lima's); its next start runs cloud-init in full")
    .argument("<name>", "the instance")
    .requiredOption("--tag <tag>", "the snapshot's tag")
    .action(async (name: string, flags: { tag: string }) => {
      const { tagSnapshot } = await import("../internal.js");
      await tagSnapshot("apply", name, flags.tag);
      process.stderr.write(`Applied snapshot ${flags.tag} to ${name}\n`);
    });
  snapshot
    .command("list")
    .alias("ls")
    .description("`list NAME`: Lima's snapshots (tags) of instance NAME; `list`: the booted snapshots")
    .argument("[name]", "the instance whose --tag snapshots to list")
    .option("--json", "one JSON object per line")
    .option("-q, --quiet", "tags (or booted snapshot names) only")
    .action(async (name: string | undefined, flags: { json?: boolean; quiet?: boolean }) => {
      const { snapshots, listTagSnapshots } = await import("../internal.js");
      const { table } = await import("./output.js");
      if (name !== undefined) {
        const tags = await listTagSnapshots(name);
        if (flags.json) for (const t of tags) process.stdout.write(`${JSON.stringify(t)}\n`);
        else if (flags.quiet) for (const t of tags) process.stdout.write(`${t.tag}\n`);
        else process.stdout.write(table(["ID", "TAG", "VM SIZE", "DATE"], tags.map((t) => [t.id, t.tag, `${(t.vmStateSize / 1048576).toFixed(0)}MiB`, new Date(t.dateSec * 1000).toISOString()])));
        return;
      }
      const all = snapshots();
      if (flags.json) {
        for (const s of all) process.stdout.write(`${JSON.stringify({ name: s.record.name, source: s.record.source, createdAt: s.record.createdAt, stateBytes: s.record.stateBytes, dir: s.paths.dir })}\n`);
        return;
      }
      if (flags.quiet) {
        for (const s of all) process.stdout.write(`${s.record.name}\n`);
        return;
      }
      process.stdout.write(table(["NAME", "SOURCE", "CREATED", "STATE"], all.map((s) => [s.record.name, s.record.source, s.record.createdAt, `${(s.record.stateBytes / 1048576).toFixed(0)}MiB`])));
    });
  snapshot
    .command("delete")
    .description("`delete NAME --tag T`: Lima's snapshot T of stopped instance NAME; `delete SNAP`: a booted snapshot (instances made from it keep working)")
    .argument("<name>", "the instance (with --tag) or the booted snapshot")
    .option("--tag <tag>", "the tag of the instance's snapshot to delete")
    .action(async (name: string, flags: { tag?: string }) => {
      const { removeSnapshot, tagSnapshot } = await import("../internal.js");
      if (flags.tag !== undefined) {
        await tagSnapshot("delete", name, flags.tag);
        process.stderr.write(`Deleted snapshot ${flags.tag} of ${name}\n`);
        return;
      }
      removeSnapshot(name);
      process.stdout.write(`Deleted snapshot ${name}\n`);
    });
}
