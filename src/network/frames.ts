/**
 * QEMU's `-netdev stream` framing: each Ethernet frame is preceded by its length, 4 bytes big-endian.
 * The reader keeps partial input between chunks and refuses a length no NIC sends. Pure.
 */

/** QEMU's largest frame (NET_BUFSIZE: 4096 + 65536). */
export const MAX_FRAME = 69_632;

export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The whole frames `chunk` completes; throws on a length over MAX_FRAME (the stream is then garbage). */
  push(chunk: Buffer): Buffer[] {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len > MAX_FRAME) throw new Error(`a frame of ${len} bytes (more than ${MAX_FRAME})`);
      if (buf.length < 4 + len) break;
      out.push(buf.subarray(4, 4 + len));
      buf = buf.subarray(4 + len);
    }
    this.pending = Buffer.from(buf);
    return out;
  }
}

export function frameOf(frame: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(frame.length);
  return Buffer.concat([head, frame]);
}
