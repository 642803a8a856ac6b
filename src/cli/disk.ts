import type { Command } from "commander";
import { info } from "./log.js";
import { MSG } from "./messages.js";

/** `disk create|list|delete|resize|import|unlock`: Lima's additional disks (attach with additionalDisks: in lima.yaml). */
export function register(program: Command): void {
  const disk = program.command("disk").description("additional disks (Lima's limactl disk): attach one with additionalDisks: [NAME] in lima.yaml, mounted in the guest at /mnt/lima-NAME");
  disk
    .command("create")
    .description("create an empty disk")
    .argument("<name>", "the disk's name")
    .requiredOption("--size <size>", "its size, e.g. 10GiB")
    .option("--format <format>", "qcow2 or raw", "qcow2")
    .action(async (name: string, flags: { size: string; format: string }) => {
      const { createDisk, bytesSize } = await import("../internal.js");
      const d = await createDisk(name, flags);
      info(MSG.diskCreated(name, d.format, bytesSize(d.size), d.dir));
    });
  disk
    .command("import")
    .description("create a disk from a self-contained qcow2 or raw image file (copied; one that names a backing or data file is refused)")
    .argument("<name>", "the disk's name")
    .argument("<file>", "the image to import")
    .action(async (name: string, file: string) => {
      const { importDisk, bytesSize } = await import("../internal.js");
      const d = await importDisk(name, file);
      info(MSG.diskImported(name, file, d.format, bytesSize(d.size)));
    });
  disk
    .command("list")
    .alias("ls")
    .description("list the disks and the instance using each")
    .argument("[names...]", "only these disks")
    .option("--json", "one JSON object per line (Lima's fields)")
    .action(async (names: string[], flags: { json?: boolean }) => {
      const { listDisks, bytesSize } = await import("../internal.js");
      const all = await listDisks(names);
      if (flags.json) {
        for (const d of all) process.stdout.write(`${JSON.stringify(d)}\n`);
        return;
      }
      const { table } = await import("./output.js");
      process.stdout.write(table(["NAME", "SIZE", "FORMAT", "DIR", "IN-USE-BY"], all.map((d) => [d.name, bytesSize(d.size), d.format, d.dir, d.instance])));
    });
  disk
    .command("delete")
    .alias("rm")
    .description("delete disks; one in use is refused, one listed in a stopped instance's additionalDisks needs -f")
    .argument("<names...>", "the disks")
    .option("-f, --force", "delete a disk that stopped instances list in additionalDisks")
    .action(async (names: string[], flags: { force?: boolean }) => {
      const { deleteDisk } = await import("../internal.js");
      for (const n of names) {
        deleteDisk(n, { force: flags.force === true });
        info(MSG.diskDeleted(n));
      }
    });
  disk
    .command("resize")
    .description("grow a disk no instance uses (the guest grows its file system on the next boot)")
    .argument("<name>", "the disk")
    .requiredOption("--size <size>", "the new size (larger than the current one)")
    .action(async (name: string, flags: { size: string }) => {
      const { resizeDisk, bytesSize } = await import("../internal.js");
      const d = await resizeDisk(name, flags);
      info(MSG.diskResized(name, bytesSize(d.size)));
    });
  disk
    .command("unlock")
    .description("clear a stale lock (in_use_by) of disks whose instance is not running")
    .argument("<names...>", "the disks")
    .action(async (names: string[]) => {
      const { unlockDisk } = await import("../internal.js");
      for (const n of names) {
        unlockDisk(n);
        info(MSG.diskUnlocked(n));
      }
    });
}
