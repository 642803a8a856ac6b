import { closeSync, openSync, readSync } from "node:fs";
import { splitLines, type AgentEvent } from "./events.js";
import { parseEvent } from "./event-parse.js";

/** Reads the event lines appended to ha.stdout.log since the last call. */
export class EventFollower {
  private offset: number;
  private rest = "";

  constructor(
    private readonly path: string,
    offset = 0,
  ) {
    this.offset = offset;
  }

  poll(): AgentEvent[] {
    const { data, offset } = readAppended(this.path, this.offset);
    this.offset = offset;
    if (data.length === 0) return [];
    const { lines, rest } = splitLines(this.rest + data.toString("utf8"));
    this.rest = rest;
    return lines.map(parseEvent).filter((e): e is AgentEvent => e !== undefined);
  }
}

/** What was appended to `path` from `offset` on (nothing when it cannot be opened), and the offset after it. */
export function readAppended(path: string, offset: number): { data: Buffer; offset: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { data: Buffer.alloc(0), offset };
  }
  const chunks: Buffer[] = [];
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) break;
      offset += n;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return { data: Buffer.concat(chunks), offset };
}

/** Reads every event of a log file (for `list`, the benchmark). */
export function readEvents(path: string): AgentEvent[] {
  return new EventFollower(path).poll();
}
