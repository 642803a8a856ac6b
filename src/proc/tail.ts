/**
 * Bounded collection of a child's output (a guest's output is hostile: it may never end, or never
 * end a line). Pure.
 */

/** What a cut output starts with: how much was left out. */
export function cutNotice(cut: number): string {
  return `[tslima: output cut, the first ${cut} bytes are left out]\n`;
}

/**
 * Keeps the last `max` bytes of a byte stream and counts the bytes dropped before them; `text()`
 * is the tail as UTF-8, after a cutNotice when something was cut (a character split by the cut is
 * dropped whole).
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private held = 0;
  private dropped = 0;

  constructor(readonly max: number) {}

  push(b: Buffer): void {
    if (b.length >= this.max) {
      this.dropped += this.held + b.length - this.max;
      this.chunks = [b.subarray(b.length - this.max)];
      this.held = this.max;
      return;
    }
    this.chunks.push(b);
    this.held += b.length;
    while (this.held > this.max) {
      const first = this.chunks[0];
      if (!first) break;
      const over = this.held - this.max;
      if (first.length <= over) {
        this.chunks.shift();
        this.held -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.held -= over;
        this.dropped += over;
      }
    }
  }

  /** Bytes left out so far. */
  get cut(): number {
    return this.dropped;
  }

  text(): string {
    let b = Buffer.concat(this.chunks);
    if (this.dropped === 0) return b.toString("utf8");
    let skip = 0;
    while (skip < b.length && skip < 3 && ((b[skip] ?? 0) & 0xc0) === 0x80) skip++;
    b = b.subarray(skip);
    return cutNotice(this.dropped + skip) + b.toString("utf8");
  }
}

/**
 * Splits a stream into lines with a bound on the unfinished one: `push` returns the complete lines
 * of a chunk; a line longer than `max` characters is dropped (and counted in `overlong`) instead of
 * held.
 */
export class LineSplitter {
  private rest = "";
  private skipping = false;
  overlong = 0;

  constructor(readonly max: number) {}

  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split("\n");
    this.rest = parts.pop() ?? "";
    const lines: string[] = [];
    for (const l of parts) {
      if (this.skipping) this.skipping = false;
      else if (l.length > this.max) this.overlong++;
      else lines.push(l);
    }
    if (this.rest.length > this.max) {
      if (!this.skipping) this.overlong++;
      this.skipping = true;
      this.rest = "";
    }
    return lines;
  }
}
