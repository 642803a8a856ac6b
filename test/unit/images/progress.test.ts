import { test } from "node:test";
import assert from "node:assert/strict";
import { buildLine, formatBytes, formatDuration, progressLine, progressPrinter } from "../../../src/images/progress.js";

test("formatBytes and formatDuration", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(3 * 1024 ** 3), "3.0 GiB");
  assert.equal(formatDuration(42.4), "42s");
  assert.equal(formatDuration(65), "1m05s");
});

test("progressLine shows bytes of total, percent, rate and ETA", () => {
  const line = progressLine({
    type: "download-progress",
    url: "u",
    receivedBytes: 512 * 1024 * 1024,
    totalBytes: 1024 * 1024 * 1024,
    bytesPerSecond: 10 * 1024 * 1024,
    etaSeconds: 51.2,
  });
  assert.equal(line, "512.0 MiB / 1.0 GiB (50%), 10.0 MiB/s, ETA 51s");
});

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } };
}

const p = (receivedBytes: number) => ({ type: "download-progress" as const, url: "u", receivedBytes, totalBytes: 100, bytesPerSecond: 1 });

test("without a TTY, progress is a plain line at most every interval", () => {
  let now = 0;
  const { out, stream } = sink(false);
  const print = progressPrinter(stream, { intervalMs: 1000, now: () => now });
  print({ type: "download-start", url: "http://x/disk", totalBytes: 100 });
  print(p(10));
  now = 500;
  print(p(20));
  now = 1200;
  print(p(30));
  print({ type: "download-done", url: "u", receivedBytes: 100, seconds: 2, cached: false });
  assert.equal(out.filter((l) => l.includes("%")).length, 1);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
});

test("on a TTY, progress redraws one line and later messages start on a new line", () => {
  const { out, stream } = sink(true);
  const print = progressPrinter(stream);
  print(p(10));
  print(p(20));
  print({ type: "warning", message: "w" });
  assert.ok(out[0]!.startsWith("\r"));
  assert.ok(out[1]!.startsWith("\r"));
  assert.equal(out[2], "\n");
  assert.equal(out[3], "warning: w\n");
});

test("buildLine: a build's phases and its end, as `image build` and a start that builds print them", () => {
  assert.equal(buildLine({ type: "build-step", step: "bootstrap", message: "debootstrap bookworm amd64" }), "[build] debootstrap bookworm amd64");
  assert.equal(buildLine({ type: "build-done", dir: "/c/d", seconds: 65, cached: false }), "[build] done in 1m05s: /c/d");
  assert.equal(buildLine({ type: "build-done", dir: "/c/d", seconds: 65, cached: true }), "[build] using the cached build /c/d (it took 1m05s)");
});
