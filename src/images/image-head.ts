import { open } from "node:fs/promises";
import { HEADER_BYTES, sniffImage, type TrustedFormat } from "./image-trust.js";

/** The first `bytes` of an image file (fewer if the file is shorter), for the pure image-trust checks. */
export async function readImageHead(file: string, bytes = HEADER_BYTES): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * The format QEMU is told for a disk image: qcow2 by its magic, anything else raw. An image of
 * another format (vmdk, ...) is refused later by checkUntrustedImage (src/qemu/image-check.ts).
 */
export async function diskFormat(file: string): Promise<TrustedFormat> {
  return sniffImage(await readImageHead(file, 4)) === "qcow2" ? "qcow2" : "raw";
}
