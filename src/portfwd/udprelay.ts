import { PORTFWD_UDP_RELAY_PY } from "../guest/embedded.js";

/**
 * The UDP relay's protocol and its guest side. ssh carries only streams, so a UDP forward runs one
 * ssh session per forward (on the ControlMaster) whose guest end is a small python3 program (every
 * cloud-init guest has python3): the host agent binds the host port, and passes each datagram down the
 * session as a frame `[client id: u16][length: u16][payload]`; the guest program sends it from a UDP
 * socket of that client's own (connected to the guest listener) and frames every reply back with the
 * same id, which the host sends to that client's address. The host keeps at most MAX_CLIENTS clients
 * (udpclients.ts: the least recently used one is evicted for a new one, and one idle for
 * CLIENT_IDLE_SEC is forgotten) and sends a control frame (id CONTROL_ID, the payload a list of u16
 * ids) for the ids that ended: the guest closes their sockets, so an id is never reused while the
 * guest still holds the old client's socket. A frame for an id that is not live is dropped on the host;
 * the guest opens no more than MAX_CLIENTS sockets whatever it is sent, and forgets a client idle for
 * CLIENT_IDLE_SEC too. EOF on stdin (the session closed) ends the guest program. Pure.
 */

export const FRAME_HEADER = 4;
/** The largest UDP payload (IPv4): fits the u16 length. */
export const MAX_DATAGRAM = 65507;
export const CLIENT_IDLE_SEC = 120;
/** Live clients per forward (sockets in the guest program; well under the usual 1024 open files). */
export const MAX_CLIENTS = 512;
/** The frame id of a control frame (never a client's); client ids are 0 .. CONTROL_ID-1. */
export const CONTROL_ID = 0xffff;

/** The guest program (src/guest/portfwd/udp-relay.py), run as `python3 -c SCRIPT ...relayArgs()`. */
export const GUEST_RELAY_SCRIPT = PORTFWD_UDP_RELAY_PY;

/** The relay's arguments after `python3 -c GUEST_RELAY_SCRIPT`. */
export function relayArgs(ip: string, port: number, maxClients = MAX_CLIENTS): string[] {
  return [ip, String(port), String(maxClients), String(CONTROL_ID), String(CLIENT_IDLE_SEC)];
}

/** One frame: the client id and the datagram. */
export function encodeFrame(id: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
}

/** The control frame that tells the guest these client ids ended. */
export function encodeClose(ids: number[]): Buffer[] {
  const frames: Buffer[] = [];
  const per = Math.floor(MAX_DATAGRAM / 2);
  for (let i = 0; i < ids.length; i += per) {
    const chunk = ids.slice(i, i + per);
    const payload = Buffer.alloc(chunk.length * 2);
    chunk.forEach((id, j) => payload.writeUInt16BE(id, j * 2));
    frames.push(encodeFrame(CONTROL_ID, payload));
  }
  return frames;
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
