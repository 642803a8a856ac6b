/**
 * SFTP version 3 packets (draft-ietf-secsh-filexfer-02, what OpenSSH's sftp-server speaks): the
 * requests tslima sends, the framing of the server's byte stream and the decoding of its replies.
 * The server is hostile: every length and count is checked against the bytes that are there, and a
 * packet longer than MAX_PACKET is refused before anything is allocated for it. Pure.
 */

/** Packet types (SSH_FXP_*) tslima sends or reads. */
export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  OPENDIR: 11,
  READDIR: 12,
  MKDIR: 14,
  REALPATH: 16,
  STAT: 17,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
} as const;

/** Status codes (SSH_FX_*). */
export const FX = { OK: 0, EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, BAD_MESSAGE: 5 } as const;

/** SSH_FXF_* flags of OPEN. */
export const OPEN_FLAGS = { READ: 0x01, WRITE: 0x02, CREAT: 0x08, TRUNC: 0x10 } as const;

const ATTR = { SIZE: 0x01, UIDGID: 0x02, PERMISSIONS: 0x04, ACMODTIME: 0x08, EXTENDED: 0x80000000 } as const;

/** The longest packet accepted from the server: 256 KiB of payload and room for its header. */
export const MAX_PACKET = 256 * 1024 + 1024;

/** A handle longer than this is not SFTP's (the draft allows 256 bytes). */
const MAX_HANDLE = 256;

/** The server sent bytes that are not a well-formed SFTP v3 packet. */
export class SftpPacketError extends Error {
  override readonly name = "SftpPacketError";
}

/** File attributes as sent: only the fields the flags announce. */
export interface RawAttrs {
  size?: number;
  uid?: number;
  gid?: number;
  permissions?: number;
  atime?: number;
  mtime?: number;
}

export interface NameEntry {
  name: Buffer;
  attrs: RawAttrs;
}

/** A reply of the server. */
export type Reply =
  | { type: typeof FXP.VERSION; version: number }
  | { type: typeof FXP.STATUS; id: number; code: number; message: string }
  | { type: typeof FXP.HANDLE; id: number; handle: Buffer }
  | { type: typeof FXP.DATA; id: number; data: Buffer }
  | { type: typeof FXP.NAME; id: number; entries: NameEntry[] }
  | { type: typeof FXP.ATTRS; id: number; attrs: RawAttrs };

/** A request's field: number = uint32, bigint = uint64, string = UTF-8 string, Buffer = byte string, object = ATTRS. */
export type Field = number | bigint | string | Buffer | RawAttrs;

function attrsBytes(a: RawAttrs): Buffer[] {
  let flags = 0;
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    parts.push(b);
  };
  if (a.size !== undefined) {
    flags |= ATTR.SIZE;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(a.size));
    parts.push(b);
  }
  if (a.uid !== undefined || a.gid !== undefined) {
    flags |= ATTR.UIDGID;
    u32(a.uid ?? 0);
    u32(a.gid ?? 0);
  }
  if (a.permissions !== undefined) {
    flags |= ATTR.PERMISSIONS;
    u32(a.permissions);
  }
  if (a.atime !== undefined || a.mtime !== undefined) {
    flags |= ATTR.ACMODTIME;
    u32(a.atime ?? 0);
    u32(a.mtime ?? 0);
  }
  const head = Buffer.alloc(4);
  head.writeUInt32BE(flags);
  return [head, ...parts];
}

function fieldBytes(f: Field): Buffer[] {
  if (typeof f === "number") {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(f >>> 0);
    return [b];
  }
  if (typeof f === "bigint") {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(f);
    return [b];
  }
  if (typeof f === "string" || Buffer.isBuffer(f)) {
    const body = typeof f === "string" ? Buffer.from(f, "utf8") : f;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return [len, body];
  }
  return attrsBytes(f);
}

/** One packet: its length, type and fields (a request's id is its first field; INIT has none). */
export function encodePacket(type: number, fields: readonly Field[]): Buffer {
  const parts = [Buffer.from([type]), ...fields.flatMap(fieldBytes)];
  const body = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** Reads a packet's fields, refusing to read past its end. */
class FieldReader {
  private at = 0;

  constructor(private readonly b: Buffer) {}

  get left(): number {
    return this.b.length - this.at;
  }

  private take(n: number, what: string): Buffer {
    if (n > this.left) throw new SftpPacketError(`truncated ${what}: ${n} bytes announced, ${this.left} left in the packet`);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(what: string): number {
    return this.take(1, what).readUInt8(0);
  }

  u32(what: string): number {
    return this.take(4, what).readUInt32BE(0);
  }

  u64(what: string): number {
    return Number(this.take(8, what).readBigUInt64BE(0));
  }

  bytes(what: string): Buffer {
    return this.take(this.u32(`${what} length`), what);
  }

  /** A count of items at least `minBytes` each, checked against what is left. */
  count(minBytes: number, what: string): number {
    const n = this.u32(`${what} count`);
    if (n * minBytes > this.left) throw new SftpPacketError(`${what} count ${n} is larger than the packet (${this.left} bytes left)`);
    return n;
  }

  attrs(): RawAttrs {
    const flags = this.u32("attrs flags");
    const a: RawAttrs = {};
    if (flags & ATTR.SIZE) a.size = this.u64("size");
    if (flags & ATTR.UIDGID) {
      a.uid = this.u32("uid");
      a.gid = this.u32("gid");
    }
    if (flags & ATTR.PERMISSIONS) a.permissions = this.u32("permissions");
    if (flags & ATTR.ACMODTIME) {
      a.atime = this.u32("atime");
      a.mtime = this.u32("mtime");
    }
    if (flags & ATTR.EXTENDED) {
      const n = this.count(8, "extended attribute");
      for (let i = 0; i < n; i++) {
        this.bytes("extended attribute name");
        this.bytes("extended attribute value");
      }
    }
    return a;
  }
}

/** Decodes one packet's body (type byte onwards); throws SftpPacketError when it is malformed. */
export function decodeReply(body: Buffer): Reply {
  const r = new FieldReader(body);
  const type = r.u8("packet type");
  if (type === FXP.VERSION) return { type, version: r.u32("version") };
  const id = r.u32("request id");
  switch (type) {
    case FXP.STATUS: {
      const code = r.u32("status code");
      // Old servers send no message; the language tag after it is ignored.
      const message = r.left > 0 ? r.bytes("status message").toString("utf8") : "";
      return { type, id, code, message };
    }
    case FXP.HANDLE: {
      const handle = r.bytes("handle");
      if (handle.length > MAX_HANDLE) throw new SftpPacketError(`a handle of ${handle.length} bytes (at most ${MAX_HANDLE})`);
      return { type, id, handle };
    }
    case FXP.DATA:
      return { type, id, data: r.bytes("data") };
    case FXP.NAME: {
      // Each entry has at least a filename, a longname and the attrs flags: 12 bytes.
      const n = r.count(12, "name");
      const entries: NameEntry[] = [];
      for (let i = 0; i < n; i++) {
        const name = r.bytes("filename");
        r.bytes("longname");
        entries.push({ name, attrs: r.attrs() });
      }
      return { type, id, entries };
    }
    case FXP.ATTRS:
      return { type, id, attrs: r.attrs() };
    default:
      throw new SftpPacketError(`unknown packet type ${type}`);
  }
}

/**
 * Cuts the server's byte stream into packet bodies, whatever the chunks: a packet split across
 * chunks waits for its rest, several packed in one come out together. A length over MAX_PACKET (or
 * too short for a type and an id) throws at once, before the packet is held.
 */
export class PacketFramer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let at = 0;
    while (this.buf.length - at >= 4) {
      const len = this.buf.readUInt32BE(at);
      if (len > MAX_PACKET) throw new SftpPacketError(`a packet of ${len} bytes (at most ${MAX_PACKET})`);
      if (len < 5) throw new SftpPacketError(`a packet of ${len} bytes (too short for a type and an id)`);
      if (this.buf.length - at - 4 < len) break;
      out.push(this.buf.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
    this.buf = this.buf.subarray(at);
    return out;
  }
}
