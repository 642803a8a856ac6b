import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { screenshot, screenshotFormat } from "../../../src/instance/screenshot.js";
import { isTslimaError } from "../../../src/errors.js";

test("screenshotFormat: QEMU 7.2's png and ppm by the extension; anything else names -o", () => {
  assert.equal(screenshotFormat("/x/a.png"), "png");
  assert.equal(screenshotFormat("/x/a.PPM"), "ppm");
  for (const f of ["/x/a.bmp", "/x/a"]) {
    assert.throws(() => screenshotFormat(f), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INVALID_FORMAT" && /-o/.test(e.hint ?? ""));
  }
});

test("screenshot of a stopped instance: NOT_RUNNING naming tslima start; a bad extension is refused before", async () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-shot-"));
  try {
    mkdirSync(join(home, "vm"), { mode: 0o700 });
    writeFileSync(join(home, "vm", "lima.yaml"), "images: []\n");
    await assert.rejects(screenshot("vm", { home, output: join(home, "s.png") }), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_NOT_RUNNING" && /tslima start vm/.test(e.hint ?? ""));
    await assert.rejects(screenshot("vm", { home, output: join(home, "s.gif") }), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INVALID_FORMAT");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
