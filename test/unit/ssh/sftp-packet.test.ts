import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeReply, encodePacket, FXP, MAX_PACKET, PacketFramer, SftpPacketError } from "../../../src/ssh/sftp-packet.js";

/** A packet's body (what the framer hands out): the encoded packet without its length. */
const body = (type: number, fields: Parameters<typeof encodePacket>[1]) => encodePacket(type, fields).subarray(4);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const isPacketError = (re: RegExp) => (e: unknown) => e instanceof SftpPacketError && re.test(e.message);

test("replies decode: status (with and without a message), handle, data, name, attrs; names stay bytes", () => {
  assert.deepEqual(decodeReply(body(FXP.STATUS, [7, 2, "No such file", "en"])), { type: FXP.STATUS, id: 7, code: 2, message: "No such file" });
  assert.deepEqual(decodeReply(body(FXP.STATUS, [7, 0])), { type: FXP.STATUS, id: 7, code: 0, message: "" });
  assert.deepEqual(decodeReply(body(FXP.VERSION, [3])), { type: FXP.VERSION, version: 3 });
  assert.deepEqual(decodeReply(body(FXP.HANDLE, [1, Buffer.from([0, 1, 2])])), { type: FXP.HANDLE, id: 1, handle: Buffer.from([0, 1, 2]) });
  assert.deepEqual(decodeReply(body(FXP.DATA, [2, Buffer.from([255, 0])])), { type: FXP.DATA, id: 2, data: Buffer.from([255, 0]) });
  const attrs = { size: 2 ** 40 + 5, uid: 1, gid: 2, permissions: 0o100644, atime: 10, mtime: 20 };
  assert.deepEqual(decodeReply(body(FXP.ATTRS, [3, attrs])), { type: FXP.ATTRS, id: 3, attrs });
  const name = Buffer.from("a😀\u00e9", "utf8");
  const r = decodeReply(body(FXP.NAME, [4, 2, name, "long", { permissions: 0o40755 }, "b", "long", {}]));
  assert.deepEqual(r, { type: FXP.NAME, id: 4, entries: [{ name, attrs: { permissions: 0o40755 } }, { name: Buffer.from("b"), attrs: {} }] });
});

test("the framer cuts packets split across chunks and packed into one", () => {
  const packets = [body(FXP.STATUS, [1, 0]), body(FXP.DATA, [2, Buffer.alloc(70_000, 9)]), body(FXP.HANDLE, [3, "h"])];
  const stream = Buffer.concat(packets.map((p) => Buffer.concat([u32(p.length), p])));
  const one = new PacketFramer();
  assert.deepEqual(one.push(stream), packets);
  const bytewise = new PacketFramer();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 997) out.push(...bytewise.push(stream.subarray(i, i + 997)));
  assert.deepEqual(out, packets);
  const split = new PacketFramer();
  assert.deepEqual(split.push(stream.subarray(0, 2)), []);
  assert.deepEqual(split.push(stream.subarray(2)), packets);
});

test("hostile lengths: an oversized or too short packet is refused from its 4 length bytes, nothing allocated for it", () => {
  assert.throws(() => new PacketFramer().push(u32(0xffffffff)), isPacketError(/a packet of 4294967295 bytes \(at most 263168\)/));
  assert.throws(() => new PacketFramer().push(u32(MAX_PACKET + 1)), isPacketError(/at most/));
  assert.deepEqual(new PacketFramer().push(u32(MAX_PACKET)), []);
  assert.throws(() => new PacketFramer().push(Buffer.concat([u32(1), Buffer.from([FXP.STATUS])])), isPacketError(/too short/));
  // "Welcome" from a login script is read as a length: the classic "message too long".
  assert.throws(() => new PacketFramer().push(Buffer.from("Welcome to the guest\n")), isPacketError(/at most/));
});

test("hostile contents: a string or count past the packet's end, a long handle, an unknown type throw SftpPacketError", () => {
  const status = Buffer.concat([Buffer.from([FXP.STATUS]), u32(1), u32(4), u32(1000), Buffer.from("abc")]);
  assert.throws(() => decodeReply(status), isPacketError(/truncated status message: 1000 bytes announced, 3 left/));
  const names = Buffer.concat([Buffer.from([FXP.NAME]), u32(1), u32(0x7fffffff), u32(0)]);
  assert.throws(() => decodeReply(names), isPacketError(/name count 2147483647 is larger than the packet/));
  const ext = Buffer.concat([Buffer.from([FXP.ATTRS]), u32(1), u32(0x80000000), u32(0xffffffff)]);
  assert.throws(() => decodeReply(ext), isPacketError(/extended attribute count/));
  assert.throws(() => decodeReply(body(FXP.HANDLE, [1, Buffer.alloc(257)])), isPacketError(/handle of 257 bytes/));
  assert.throws(() => decodeReply(body(FXP.ATTRS, [1]).subarray(0, 5)), isPacketError(/truncated attrs flags/));
  assert.throws(() => decodeReply(Buffer.from([99, 0, 0, 0, 1])), isPacketError(/unknown packet type 99/));
});

test("any byte stream, in any chunks, gives packets or an SftpPacketError, never another exception", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }), fc.boolean(), (chunks, small) => {
      const framer = new PacketFramer();
      try {
        for (const c of chunks) {
          const b = Buffer.from(c);
          // Small lengths make whole packets likely, so the decoder sees the random bodies too.
          if (small && b.length >= 4) b.writeUInt32BE(5 + (b.readUInt32BE(0) % 40));
          for (const p of framer.push(b)) decodeReply(p);
        }
      } catch (e) {
        if (!(e instanceof SftpPacketError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});
