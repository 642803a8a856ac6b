import { closeSync, openSync, readSync } from "node:fs";
import { parseEvent, splitLines, type AgentEvent } from "./events.js";

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
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return [];
    }
    const chunks: Buffer[] = [];
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
    } finally {
      closeSync(fd);
    }
    if (chunks.length === 0) return [];
    const { lines, rest } = splitLines(this.rest + Buffer.concat(chunks).toString("utf8"));
    this.rest = rest;
    return lines.map(parseEvent).filter((e): e is AgentEvent => e !== undefined);
  }
}

/** Reads every event of a log file (for `list`, the benchmark). */
export function readEvents(path: string): AgentEvent[] {
  return new EventFollower(path).poll();
}
