import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { userFirmware } from "../../../src/hostagent/firmware.js";
import { fillDefaults } from "../../../src/config/defaults.js";
import { instancePaths } from "../../../src/store/paths.js";
import { testConfig } from "../support/config.js";
import type { FirmwareImage } from "../../../src/config/types.js";
import { linuxHost } from "../qemu/sample.js";

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

function setup() {
  const home = mkdtempSync(join(tmpdir(), "tslima-fw-"));
  const paths = instancePaths(home, "vm");
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const code = Buffer.from("UEFI code image ".repeat(64));
  writeFileSync(join(home, "code.fd"), code);
  writeFileSync(join(home, "code.fd.gz"), gzipSync(code));
  const warnings: string[] = [];
  const run = (images: FirmwareImage[]) => userFirmware(testConfig({ firmware: { legacyBIOS: false, images } }), paths, home, (m) => warnings.push(m));
  return { home, paths, code, warnings, run, [Symbol.dispose]: () => rmSync(home, { recursive: true, force: true }) };
}

test("firmware.images: the first usable entry of the arch, digest-checked, copied into the instance 0600 (.gz uncompressed)", async () => {
  using t = setup();
  const bad = { location: join(t.home, "code.fd"), arch: "x86_64" as const, digest: `sha256:${"0".repeat(64)}` };
  const other = { location: join(t.home, "nope.fd"), arch: "aarch64" as const };
  const vz = { location: join(t.home, "code.fd"), arch: "x86_64" as const, vmType: "vz" };
  const good = { location: join(t.home, "code.fd.gz"), arch: "x86_64" as const, digest: sha256(gzipSync(t.code)) };
  const got = await t.run([other, vz, bad, good]);
  assert.equal(got, join(t.paths.dir, "qemu-efi-code.fd"));
  assert.deepEqual(readFileSync(got), t.code);
  assert.equal(statSync(got).mode & 0o777, 0o600);
  assert.equal(t.warnings.length, 1);
  assert.match(t.warnings[0] ?? "", /code\.fd: .*digest mismatch.*trying the next/);
});

test("firmware.images: the instance's copy is kept on later starts (as Lima); none usable or none of the arch: QEMU's own", async () => {
  using t = setup();
  assert.equal(await t.run([{ location: join(t.home, "code.fd"), arch: "aarch64" }]), undefined);
  assert.equal(await t.run([{ location: join(t.home, "missing.fd"), arch: "x86_64" }]), undefined);
  assert.match(t.warnings[0] ?? "", /missing\.fd/);
  const first = await t.run([{ location: join(t.home, "code.fd"), arch: "x86_64" }]);
  writeFileSync(join(t.home, "code.fd"), "changed");
  assert.equal(await t.run([{ location: join(t.home, "code.fd"), arch: "x86_64" }]), first);
  assert.deepEqual(readFileSync(first ?? ""), t.code);
});

test("fillDefaults: firmware.images' arch defaults to the config's; no images key when none", () => {
  const image = { images: [{ location: "build:debian-12", arch: "x86_64" }] };
  const { config } = fillDefaults({ ...image, firmware: { images: [{ location: "/fw.fd", digest: "sha256:ab" }] } }, linuxHost, "x", { instanceDir: "/d/x" });
  assert.deepEqual(config.firmware, { legacyBIOS: false, images: [{ location: "/fw.fd", arch: "x86_64", digest: "sha256:ab" }] });
  assert.deepEqual(fillDefaults(image, linuxHost, "x", { instanceDir: "/d/x" }).config.firmware, { legacyBIOS: false });
});
