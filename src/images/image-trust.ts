/**
 * Images from outside (a template's images[], a download, a local file, `disk import`, an additional
 * disk's file) are hostile until checked: a qcow2 file may name a backing file or an external data
 * file on the host, and the guest would then read (or write) that host file as its disk (Lima's
 * CVE-2023-32684). The decisions here are pure: over the file's first bytes (before any qemu-img
 * opens it) and over `qemu-img info --output=json`. tslima's own disks (diffdisk over basedisk, a
 * clone's snapshotdisk chain) have backing files on purpose and are never checked with these.
 */

/** The formats tslima boots. */
export const TRUSTED_FORMATS = ["qcow2", "raw"] as const;
export type TrustedFormat = (typeof TRUSTED_FORMATS)[number];

/** Bytes to read from the start of an image for sniffImage() and qcow2References(). */
export const HEADER_BYTES = 64 * 1024;

/** Something in an image that reaches past the image file itself. */
export interface ImageProblem {
  /** The field, as qemu-img names it: backing-filename, full-backing-filename, data-file, format. */
  field: string;
  value: string;
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/** Other image formats by their magic bytes (offset, bytes); a file with none of these is raw. */
const FOREIGN_MAGIC: Array<{ format: string; offset: number; magic: Buffer }> = [
  { format: "vmdk", offset: 0, magic: Buffer.from("KDMV") },
  { format: "vmdk", offset: 0, magic: Buffer.from("COWD") },
  { format: "vmdk", offset: 0, magic: Buffer.from("# Disk DescriptorFile") },
  { format: "vhdx", offset: 0, magic: Buffer.from("vhdxfile") },
  { format: "vpc", offset: 0, magic: Buffer.from("conectix") },
  { format: "qed", offset: 0, magic: Buffer.from("QED\0") },
  { format: "vdi", offset: 0x40, magic: Buffer.from([0x7f, 0x10, 0xda, 0xbe]) },
  { format: "luks", offset: 0, magic: Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]) },
  { format: "parallels", offset: 0, magic: Buffer.from("WithoutFreeSpace") },
  { format: "parallels", offset: 0, magic: Buffer.from("WithouFreSpacExt") },
  { format: "bochs", offset: 0, magic: Buffer.from("Bochs Virtual HD Image") },
];

/**
 * The format of an image by its first bytes. Pure. qcow2 by its magic; a known other format's magic
 * gives that format (refused: tslima boots qcow2 and raw); anything else is raw, and is probed as raw
 * (`-f raw`), so that qemu-img never reads a raw disk's bytes as a format that names other files.
 */
export function sniffImage(head: Buffer): string {
  if (head.subarray(0, 4).equals(QCOW2_MAGIC)) return "qcow2";
  for (const f of FOREIGN_MAGIC) {
    if (head.subarray(f.offset, f.offset + f.magic.length).equals(f.magic)) return f.format;
  }
  return "raw";
}

const EXT_END = 0;
const EXT_DATA_FILE = 0x44415441; // "DATA": the external data file's name
const INCOMPAT_DATA_FILE = 1n << 2n;

function cString(buf: Buffer, start: number, length: number): string {
  const end = Math.min(buf.length, start + length);
  if (start >= buf.length || start < 0) return `(a name at byte ${start})`;
  return buf.subarray(start, end).toString("utf8").replace(/\0.*$/s, "");
}

/**
 * What a qcow2 header names outside the file, read from its first bytes (HEADER_BYTES). Pure. This
 * runs before qemu-img opens the file, so no qemu-img version (some opened an external data file
 * even for `info`, QEMU's CVE-2024-4467) ever touches a host file an image names.
 */
export function qcow2References(head: Buffer): ImageProblem[] {
  if (head.length < 72) return [{ field: "header", value: `a qcow2 header of ${head.length} bytes (truncated)` }];
  const out: ImageProblem[] = [];
  const version = head.readUInt32BE(4);
  const backingOffset = head.readBigUInt64BE(8);
  if (backingOffset !== 0n) {
    const name = backingOffset > BigInt(head.length) ? `(a name at byte ${backingOffset})` : cString(head, Number(backingOffset), head.readUInt32BE(16));
    out.push({ field: "backing-filename", value: name });
  }
  if (version < 3) return out;
  if (head.length < 104) return [...out, { field: "header", value: `a qcow2 v3 header of ${head.length} bytes (truncated)` }];
  const incompatible = head.readBigUInt64BE(72);
  let dataFile: string | undefined;
  // header extensions: type, length, data padded to 8 bytes, up to an end marker
  let off = head.readUInt32BE(100);
  for (let n = 0; n < 1024 && off + 8 <= head.length; n++) {
    const type = head.readUInt32BE(off);
    const length = head.readUInt32BE(off + 4);
    if (type === EXT_END) break;
    if (type === EXT_DATA_FILE) dataFile = cString(head, off + 8, length);
    off += 8 + Math.ceil(length / 8) * 8;
  }
  if (dataFile !== undefined || (incompatible & INCOMPAT_DATA_FILE) !== 0n) {
    out.push({ field: "data-file", value: dataFile ?? "(an external data file given when opened)" });
  }
  return out;
}

/** A JSON value as text for a message (qemu-img prints names as strings). */
function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

/**
 * What `qemu-img info --output=json` (one image, no --backing-chain) shows reaching past the file:
 * a backing file, an external data file (qcow2's format-specific data), or a format tslima does not
 * boot. Pure. Empty: the image is self-contained.
 */
export function imageInfoProblems(info: unknown): ImageProblem[] {
  const out: ImageProblem[] = [];
  const format = field(info, "format");
  if (typeof format !== "string" || !(TRUSTED_FORMATS as readonly string[]).includes(format)) {
    out.push({ field: "format", value: text(format) });
  }
  for (const key of ["backing-filename", "full-backing-filename"]) {
    const v = field(info, key);
    if (v !== undefined) out.push({ field: key, value: text(v) });
  }
  const dataFile = field(field(field(info, "format-specific"), "data"), "data-file");
  if (dataFile !== undefined) out.push({ field: "data-file", value: text(dataFile) });
  return out;
}

/** The sentence an IMAGE_UNSAFE error gives for one problem. Pure. */
export function describeProblem(p: ImageProblem): string {
  switch (p.field) {
    case "format":
      return `it is a ${p.value} image (format: ${p.value}); tslima takes qcow2 and raw images only`;
    case "header":
      return `its header cannot be read (${p.value})`;
    case "data-file":
      return `it names an external data file on the host (data-file: ${p.value}); the guest would read and write that host file as its disk`;
    default:
      return `it names a backing file on the host (${p.field}: ${p.value}); the guest would read that host file as its disk`;
  }
}
