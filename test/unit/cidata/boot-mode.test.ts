import { test } from "node:test";
import assert from "node:assert/strict";
import { CLOUD_INIT_DISABLED, bootMode, cidataDigest, kernelCmdline, parseReadyMarker, readyMarkerText } from "../../../src/cidata/index.js";
import { cidataFiles, isoImage } from "../../../src/cidata/index.js";
import { sampleConfig, sampleContext } from "./sample.js";

const A = cidataDigest(Buffer.from("a"));
const B = cidataDigest(Buffer.from("b"));
const base = { cidata: A, lastReady: A, freshDisk: false, directKernelBoot: true };

test("an unchanged cidata after a boot that reached READY boots light", () => {
  assert.equal(bootMode(base).cloudInit, "light");
});

test("cloud-init runs in full: fresh disk, firmware boot, no READY recorded, cidata changed", () => {
  assert.equal(bootMode({ ...base, freshDisk: true }).cloudInit, "full");
  assert.equal(bootMode({ ...base, directKernelBoot: false }).cloudInit, "full");
  assert.equal(bootMode({ ...base, lastReady: undefined }).cloudInit, "full");
  const changed = bootMode({ ...base, lastReady: B });
  assert.equal(changed.cloudInit, "full");
  assert.match(changed.reason, /changed/);
});

test("the cidata digest follows what the host would write: same config, same digest; a change, another", () => {
  const iso = (c = sampleConfig()) => isoImage("cidata", cidataFiles(c, sampleContext()));
  assert.equal(cidataDigest(iso()), cidataDigest(iso()));
  const env = sampleConfig();
  env.env = { ...env.env, NEW: "1" };
  assert.notEqual(cidataDigest(iso(env)), cidataDigest(iso()));
  const prov = sampleConfig();
  prov.provision = [...prov.provision, { mode: "system", script: "#!/bin/sh\ntrue\n" }];
  assert.notEqual(cidataDigest(iso(prov)), cidataDigest(iso()));
  assert.match(cidataDigest(iso()), /^sha256:[0-9a-f]{64}$/);
});

test("the kernel command line gets cloud-init=disabled on a light boot only, once", () => {
  const cmd = "root=LABEL=tslima-root ro console=ttyS0";
  assert.equal(kernelCmdline(cmd, "full"), cmd);
  assert.equal(kernelCmdline(undefined, "full"), undefined);
  assert.equal(kernelCmdline(cmd, "light"), `${cmd} ${CLOUD_INIT_DISABLED}`);
  assert.equal(kernelCmdline(`${cmd} cloud-init=enabled`, "light"), `${cmd} ${CLOUD_INIT_DISABLED}`);
  assert.equal(kernelCmdline(undefined, "light"), CLOUD_INIT_DISABLED);
});

test("the READY marker round-trips; anything else reads as no marker", () => {
  assert.equal(parseReadyMarker(readyMarkerText(A)), A);
  assert.equal(parseReadyMarker(undefined), undefined);
  assert.equal(parseReadyMarker(""), undefined);
  assert.equal(parseReadyMarker("sha256:xyz\n"), undefined);
});
