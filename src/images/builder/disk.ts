import type { Arch } from "../../config/types.js";
import { stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildLog } from "./run.js";
import { capture, run } from "./run.js";
import { ESP_LABEL, ROOT_LABEL } from "./spec.js";
import { espFiles } from "./guest-files.js";

const MiB = 1024 * 1024;
/** GPT partition type GUIDs. */
const ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const LINUX_ROOT_X86_64_TYPE = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";
const LINUX_FS_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

/** Pure: the sfdisk script for a GPT disk with an ESP and a root partition, sizes in MiB, 1 MiB aligned. */
export function partitionScript(espMiB: number, rootMiB: number, arch: string): string {
  const sectorsPerMiB = MiB / 512;
  const rootType = arch === "x86_64" ? LINUX_ROOT_X86_64_TYPE : LINUX_FS_TYPE;
  return (
    "label: gpt\n" +
    `start=${sectorsPerMiB}, size=${espMiB * sectorsPerMiB}, type=${ESP_TYPE}, name="EFI system"\n` +
    `start=${(1 + espMiB) * sectorsPerMiB}, size=${rootMiB * sectorsPerMiB}, type=${rootType}, name="${ROOT_LABEL}"\n`
  );
}

/** Pure: the size to give an ext4 file system for `usedMiB` of files (headroom for metadata and first boot). */
export function rootSizeMiB(usedMiB: number): number {
  return Math.ceil((usedMiB * 1.25 + 300) / 64) * 64;
}

/** The root file system as an ext4 image file, made from the directory tree (no loop mount). */
export async function makeRootFs(log: BuildLog, root: string, image: string): Promise<number> {
  const used = Number((await capture(log, ["du", "-sm", "--one-file-system", root])).split(/\s/)[0]);
  const sizeMiB = rootSizeMiB(used);
  await run(log, ["mke2fs", "-q", "-F", "-t", "ext4", "-L", ROOT_LABEL, "-m", "1", "-d", root, image, `${sizeMiB}M`]);
  return sizeMiB;
}

/** The EFI system partition as a FAT image: systemd-boot as the removable-media loader, kernel, initrd. */
export async function makeEsp(
  log: BuildLog,
  opts: { image: string; workDir: string; bootEfi: string; removableName: string; kernel: string; initrd: string; title: string; arch: Arch },
): Promise<number> {
  const payload = (await stat(opts.bootEfi)).size + (await stat(opts.kernel)).size + (await stat(opts.initrd)).size;
  const sizeMiB = Math.max(64, Math.ceil((payload * 1.2) / MiB / 16) * 16 + 16);
  await run(log, ["mkfs.vfat", "-n", ESP_LABEL, "-C", opts.image, String(sizeMiB * 1024)]);
  const m = (args: string[]) => run(log, [args[0]!, "-i", opts.image, ...args.slice(1)]);
  await m(["mmd", "::/EFI", "::/EFI/BOOT", "::/loader", "::/loader/entries"]);
  await m(["mcopy", opts.bootEfi, `::/EFI/BOOT/${opts.removableName}`]);
  await m(["mcopy", opts.kernel, "::/vmlinuz"]);
  await m(["mcopy", opts.initrd, "::/initrd.img"]);
  let n = 0;
  for (const [path, content] of Object.entries(espFiles({ title: opts.title, arch: opts.arch }))) {
    const local = join(opts.workDir, `esp-file-${n++}`);
    await writeFile(local, content);
    await m(["mcopy", local, `::${path}`]);
  }
  return sizeMiB;
}

/** A raw GPT disk with both partitions copied in (sfdisk + dd), then converted to qcow2. */
export async function assembleDisk(
  log: BuildLog,
  opts: { esp: string; espMiB: number; rootFs: string; rootMiB: number; raw: string; qcow2: string; arch: string },
): Promise<void> {
  const totalMiB = 1 + opts.espMiB + opts.rootMiB + 1;
  await writeFile(opts.raw, "");
  await truncate(opts.raw, totalMiB * MiB);
  const script = join(opts.raw + ".sfdisk");
  await writeFile(script, partitionScript(opts.espMiB, opts.rootMiB, opts.arch));
  await run(log, ["sh", "-c", `sfdisk --no-reread --no-tell-kernel "$1" < "$2"`, "sfdisk", opts.raw, script]);
  await run(log, ["dd", `if=${opts.esp}`, `of=${opts.raw}`, "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none"]);
  await run(log, [
    "dd",
    `if=${opts.rootFs}`,
    `of=${opts.raw}`,
    "bs=1M",
    `seek=${1 + opts.espMiB}`,
    "conv=notrunc,sparse",
    "status=none",
  ]);
  await run(log, ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", opts.raw, opts.qcow2]);
}
