/**
 * Reading and writing a whole file through an open SFTP handle, 32 KiB a request with several
 * requests in flight (one round trip per chunk would make a file over ssh slow).
 */
import { expectOk, expectReply, SftpError } from "./sftp-error.js";
import { FX, FXP } from "./sftp-packet.js";
import type { SftpSession } from "./sftp-session.js";

export const CHUNK = 32 * 1024;
const WINDOW = 16;

/**
 * Runs tasks with at most WINDOW in flight: `next()` gives the next one, or undefined when there is
 * none now (more may come when one in flight ends). The first failure stops new tasks; the ones in
 * flight are waited for, then it is thrown.
 */
async function pipelined(next: () => (() => Promise<void>) | undefined): Promise<void> {
  const inflight = new Set<Promise<void>>();
  let failure: { e: unknown } | undefined;
  for (;;) {
    while (failure === undefined && inflight.size < WINDOW) {
      const task = next();
      if (!task) break;
      const p: Promise<void> = task()
        .catch((e: unknown) => void (failure ??= { e }))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    if (inflight.size === 0) break;
    await Promise.race(inflight);
  }
  if (failure) throw failure.e;
}

/** The whole file behind `handle`; a file longer than `limit` bytes is an error. */
export async function readAll(s: SftpSession, handle: Buffer, path: string, limit: number): Promise<Buffer> {
  const want = limit + 1; // one byte past the limit tells a longer file
  const got: { at: number; data: Buffer }[] = [];
  const rest: { at: number; len: number }[] = []; // the unread ends of short reads
  let eofAt = Infinity;
  let next = 0;
  let received = 0;
  const read = (at: number, len: number) => async () => {
    const r = await s.request(FXP.READ, [handle, BigInt(at), len], path);
    if (r.type === FXP.STATUS && r.code === FX.EOF) return void (eofAt = Math.min(eofAt, at));
    const { data } = expectReply(r, FXP.DATA, path, "a read");
    if (data.length > len) throw new SftpError(FX.BAD_MESSAGE, `the server sent ${data.length} bytes for a read of ${len}`, path);
    if (data.length === 0) return void (eofAt = Math.min(eofAt, at));
    got.push({ at, data });
    received += data.length;
    if (data.length < len) rest.push({ at: at + data.length, len: len - data.length });
  };
  await pipelined(() => {
    const short = rest.shift();
    if (short) return read(short.at, short.len);
    // Slow start: a small file costs one read (and its EOF), a large one soon has WINDOW in flight.
    if (next >= Math.min(want, eofAt, 2 * received + CHUNK)) return undefined;
    const len = Math.min(CHUNK, want - next);
    next += len;
    return read(next - len, len);
  });
  got.sort((a, b) => a.at - b.at);
  const parts: Buffer[] = [];
  let size = 0;
  for (const { at, data } of got) {
    if (at > size || at >= eofAt) break; // a hole: the file shrank while it was read
    const end = Math.min(at + data.length, eofAt);
    if (end > size) parts.push(data.subarray(size - at, end - at));
    size = Math.max(size, end);
  }
  if (size > limit) throw new SftpError(FX.FAILURE, `file is larger than ${limit} bytes`, path);
  return Buffer.concat(parts, size);
}

/** Writes `data` at offset 0 of `handle`. */
export async function writeAll(s: SftpSession, handle: Buffer, path: string, data: Buffer): Promise<void> {
  let next = 0;
  await pipelined(() => {
    if (next >= data.length) return undefined;
    const at = next;
    const part = data.subarray(at, at + CHUNK);
    next += part.length;
    return async () => expectOk(await s.request(FXP.WRITE, [handle, BigInt(at), part], path), path, "a write");
  });
}
