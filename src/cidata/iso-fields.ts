/** Low-level ISO 9660 field writers (ECMA-119): both-endian integers, dates, padded strings. */

export const SECTOR = 2048;

export function both16(buf: Buffer, off: number, v: number): void {
  buf.writeUInt16LE(v, off);
  buf.writeUInt16BE(v, off + 2);
}

export function both32(buf: Buffer, off: number, v: number): void {
  buf.writeUInt32LE(v, off);
  buf.writeUInt32BE(v, off + 4);
}

/** 7-byte directory record date (years since 1900, month, day, h, m, s, GMT offset in 15 min). UTC. */
export function recordDate(buf: Buffer, off: number, d: Date): void {
  buf[off] = d.getUTCFullYear() - 1900;
  buf[off + 1] = d.getUTCMonth() + 1;
  buf[off + 2] = d.getUTCDate();
  buf[off + 3] = d.getUTCHours();
  buf[off + 4] = d.getUTCMinutes();
  buf[off + 5] = d.getUTCSeconds();
  buf[off + 6] = 0;
}

/** 17-byte volume descriptor date "YYYYMMDDHHMMSScc" + GMT offset byte; undefined = "not specified". */
export function volumeDate(buf: Buffer, off: number, d: Date | undefined): void {
  if (d === undefined) {
    buf.write("0".repeat(16), off, "latin1");
    buf[off + 16] = 0;
    return;
  }
  const p = (n: number, w: number) => String(n).padStart(w, "0");
  const s =
    p(d.getUTCFullYear(), 4) + p(d.getUTCMonth() + 1, 2) + p(d.getUTCDate(), 2) +
    p(d.getUTCHours(), 2) + p(d.getUTCMinutes(), 2) + p(d.getUTCSeconds(), 2) + "00";
  buf.write(s, off, "latin1");
  buf[off + 16] = 0;
}

/** An a-/d-character field padded with spaces. */
export function asciiField(buf: Buffer, off: number, len: number, s: string): void {
  buf.fill(0x20, off, off + len);
  buf.write(s.slice(0, len), off, "latin1");
}

/** UCS-2 big-endian bytes of a string (Joliet). Characters outside the BMP are refused. */
export function ucs2be(s: string): Buffer {
  const out = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) throw new Error(`ISO name ${JSON.stringify(s)}: characters outside the BMP cannot be written in Joliet`);
    out.writeUInt16BE(c, i * 2);
  }
  return out;
}

/** A Joliet text field: UCS-2 BE, padded with U+0020. */
export function ucs2Field(buf: Buffer, off: number, len: number, s: string): void {
  for (let i = 0; i + 1 < len; i += 2) buf.writeUInt16BE(0x20, off + i);
  ucs2be(s.slice(0, Math.floor(len / 2))).copy(buf, off);
}

export function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR);
}
