import type { ProgressEvent, ProgressListener } from "./types.js";
import { scaleBytes } from "../config/sizes.js";

/** Pure: "1.5 GiB", "12.0 MiB", "512 B". */
export function formatBytes(n: number): string {
  const [v, unit] = scaleBytes(n);
  return unit === "B" ? `${v} B` : `${v.toFixed(1)} ${unit}`;
}

/** Pure: "1m05s", "42s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Pure: one progress line for a download: bytes (of total, percent), rate and ETA when known. */
export function progressLine(e: Extract<ProgressEvent, { type: "download-progress" }>): string {
  const of = e.totalBytes
    ? `${formatBytes(e.receivedBytes)} / ${formatBytes(e.totalBytes)} (${Math.floor((100 * e.receivedBytes) / e.totalBytes)}%)`
    : formatBytes(e.receivedBytes);
  const eta = e.etaSeconds !== undefined ? `, ETA ${formatDuration(e.etaSeconds)}` : "";
  return `${of}, ${formatBytes(e.bytesPerSecond)}/s${eta}`;
}

/** Pure: the line (without newline) `image build` prints for a build event; a start shows the same lines. */
export function buildLine(e: Extract<ProgressEvent, { type: "build-step" | "build-done" }>): string {
  if (e.type === "build-step") return `[build] ${e.message}`;
  return e.cached ? `[build] using the cached build ${e.dir} (it took ${formatDuration(e.seconds)})` : `[build] done in ${formatDuration(e.seconds)}: ${e.dir}`;
}

/**
 * A listener that prints progress for people: on a TTY one line redrawn in place, otherwise a plain
 * line every `intervalMs` (logs and CI). Build steps and warnings are always their own lines.
 */
export function progressPrinter(
  stream: { write(s: string): unknown; isTTY?: boolean },
  opts: { intervalMs?: number; now?: () => number } = {},
): ProgressListener {
  const tty = stream.isTTY === true;
  const interval = opts.intervalMs ?? 5000;
  const now = opts.now ?? Date.now;
  let lastPlain = 0;
  let open = false; // a TTY line is being redrawn
  const endLine = () => {
    if (open) stream.write("\n");
    open = false;
  };
  return (e) => {
    switch (e.type) {
      case "download-start":
        endLine();
        stream.write(`Downloading ${e.url}${e.totalBytes ? ` (${formatBytes(e.totalBytes)})` : ""}\n`);
        lastPlain = now();
        break;
      case "download-progress":
        if (tty) {
          stream.write(`\r\x1b[K  ${progressLine(e)}`);
          open = true;
        } else if (now() - lastPlain >= interval) {
          stream.write(`  ${progressLine(e)}\n`);
          lastPlain = now();
        }
        break;
      case "download-done":
        endLine();
        if (!e.cached) stream.write(`  done: ${formatBytes(e.receivedBytes)} in ${formatDuration(e.seconds)}\n`);
        break;
      case "warning":
        endLine();
        stream.write(`warning: ${e.message}\n`);
        break;
      case "build-step":
      case "build-done":
        endLine();
        stream.write(`${buildLine(e)}\n`);
        break;
    }
  };
}
