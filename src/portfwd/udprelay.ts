/**
 * The UDP relay's protocol and its guest side. ssh carries only streams, so a UDP forward runs one
 * ssh session per forward (on the ControlMaster) whose guest end is a small python3 program (every
 * cloud-init guest has python3): the host agent binds the host port, and passes each datagram down the
 * session as a frame `[client id: u16][length: u16][payload]`; the guest program sends it from a UDP
 * socket of that client's own (connected to the guest listener) and frames every reply back with the
 * same id, which the host sends to that client's address. A client idle for 120 s is forgotten on
 * both sides. EOF on stdin (the session closed) ends the guest program. Pure.
 */

export const FRAME_HEADER = 4;
/** The largest UDP payload (IPv4): fits the u16 length. */
export const MAX_DATAGRAM = 65507;
export const CLIENT_IDLE_SEC = 120;

/** The guest program, run as `python3 -c SCRIPT IP PORT`. */
export const GUEST_RELAY_SCRIPT = `
import os, select, socket, struct, sys, time
ip, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
socks, ids, seen, buf = {}, {}, {}, b""
def out(data):
    while data:
        data = data[os.write(1, data):]
while True:
    ready = select.select([0] + list(socks.values()), [], [], 10)[0]
    now = time.monotonic()
    for s in ready:
        if s == 0:
            d = os.read(0, 65536)
            if not d:
                sys.exit(0)
            buf += d
            while len(buf) >= 4:
                cid, n = struct.unpack(">HH", buf[:4])
                if len(buf) < 4 + n:
                    break
                data, buf = buf[4:4 + n], buf[4 + n:]
                sk = socks.get(cid)
                if sk is None:
                    sk = socket.socket(fam, socket.SOCK_DGRAM)
                    sk.connect((ip, port))
                    socks[cid], ids[sk] = sk, cid
                seen[cid] = now
                try:
                    sk.send(data)
                except OSError:
                    pass
        else:
            try:
                data = s.recv(65535)
            except OSError:
                continue
            seen[ids[s]] = now
            out(struct.pack(">HH", ids[s], len(data)) + data)
    for cid in [c for c, t in seen.items() if now - t > ${CLIENT_IDLE_SEC}]:
        sk = socks.pop(cid)
        del ids[sk], seen[cid]
        sk.close()
`;

/** One frame: the client id and the datagram. */
export function encodeFrame(id: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
}

/** Splits a byte stream into frames; `push` returns the frames completed by a chunk. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ id: number; payload: Buffer }> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Array<{ id: number; payload: Buffer }> = [];
    while (this.buf.length >= FRAME_HEADER) {
      const n = this.buf.readUInt16BE(2);
      if (this.buf.length < FRAME_HEADER + n) break;
      frames.push({ id: this.buf.readUInt16BE(0), payload: this.buf.subarray(FRAME_HEADER, FRAME_HEADER + n) });
      this.buf = this.buf.subarray(FRAME_HEADER + n);
    }
    return frames;
  }
}
