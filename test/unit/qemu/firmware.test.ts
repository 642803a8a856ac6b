import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureEfiVars, knownFirmwarePairs, selectFirmware, type FirmwareDescriptor } from "../../../src/qemu/index.js";
import { instancePaths } from "../../../src/store/paths.js";

function descriptor(name: string, over: Record<string, unknown> = {}, code = `/fw/${name}.code`, vars = `/fw/${name}.vars`): FirmwareDescriptor {
  return {
    name,
    json: {
      "interface-types": ["uefi"],
      mapping: { device: "flash", executable: { filename: code, format: "raw" }, "nvram-template": { filename: vars, format: "raw" } },
      targets: [{ architecture: "x86_64", machines: ["pc-i440fx-*", "pc-q35-*"] }],
      features: ["acpi-s3", "verbose-dynamic"],
      ...over,
    },
  };
}

const all = () => true;

test("picks the first plain UEFI descriptor by file name, skipping Secure Boot / SMM / other arches", () => {
  const ds = [
    descriptor("60-edk2-x86_64.json"),
    descriptor("40-secure-enrolled.json", { features: ["requires-smm", "secure-boot", "enrolled-keys"] }),
    descriptor("50-secure.json", { features: ["requires-smm", "secure-boot"] }),
    descriptor("30-arm.json", { targets: [{ architecture: "aarch64", machines: ["virt-*"] }] }),
    descriptor("20-bios.json", { "interface-types": ["bios"] }),
    descriptor("25-memory.json", { mapping: { device: "memory", filename: "/fw/x.fd" } }),
    descriptor("26-i440fx-only.json", { targets: [{ architecture: "x86_64", machines: ["pc-i440fx-*"] }] }),
  ];
  assert.deepEqual(selectFirmware(ds, "x86_64", all), { code: "/fw/60-edk2-x86_64.json.code", vars: "/fw/60-edk2-x86_64.json.vars" });
  assert.deepEqual(selectFirmware(ds, "aarch64", all), { code: "/fw/30-arm.json.code", vars: "/fw/30-arm.json.vars" });
});

test("descriptors whose files are missing are skipped; none usable -> undefined", () => {
  const ds = [descriptor("10-a.json"), descriptor("20-b.json")];
  assert.deepEqual(selectFirmware(ds, "x86_64", (p) => p.startsWith("/fw/20-")), { code: "/fw/20-b.json.code", vars: "/fw/20-b.json.vars" });
  assert.equal(selectFirmware(ds, "x86_64", () => false), undefined);
  assert.equal(selectFirmware([{ name: "x.json", json: null }, { name: "y.json", json: "junk" }], "x86_64", all), undefined);
});

test("Debian's real descriptors (as installed by the ovmf package) give OVMF_CODE_4M", () => {
  const dir = "/usr/share/qemu/firmware";
  let names: string[];
  try {
    names = ["40-edk2-x86_64-secure-enrolled.json", "50-edk2-x86_64-secure.json", "60-edk2-x86_64.json"].filter((n) => readFileSync(join(dir, n)));
  } catch {
    return; // not a Debian host with ovmf
  }
  const ds = names.map((n) => ({ name: n, json: JSON.parse(readFileSync(join(dir, n), "utf8")) as unknown }));
  assert.deepEqual(selectFirmware(ds, "x86_64", all), { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd" });
});

test("well-known fallbacks: Debian OVMF/AAVMF, then Homebrew's edk2 files", () => {
  const x86 = knownFirmwarePairs("x86_64", ["/opt/homebrew/share/qemu"]);
  assert.deepEqual(x86[0], { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd" });
  assert.ok(x86.some((p) => p.code === "/opt/homebrew/share/qemu/edk2-x86_64-code.fd"));
  const arm = knownFirmwarePairs("aarch64", ["/opt/homebrew/share/qemu"]);
  assert.deepEqual(arm[0], { code: "/usr/share/AAVMF/AAVMF_CODE.fd", vars: "/usr/share/AAVMF/AAVMF_VARS.fd" });
  assert.ok(arm.some((p) => p.code === "/opt/homebrew/share/qemu/edk2-aarch64-code.fd"));
});

test("ensureEfiVars copies the template once and keeps the instance's copy afterwards", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-fw-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tpl = join(dir, "VARS.fd");
  writeFileSync(tpl, "template");
  const paths = instancePaths(dir, "i");
  mkdirSync(paths.dir);
  ensureEfiVars(paths, { code: "/x", vars: tpl });
  assert.equal(readFileSync(paths.efiVars, "utf8"), "template");
  writeFileSync(paths.efiVars, "changed by the guest");
  ensureEfiVars(paths, { code: "/x", vars: tpl });
  assert.equal(readFileSync(paths.efiVars, "utf8"), "changed by the guest");
});
