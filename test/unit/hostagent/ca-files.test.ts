import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCaCertFiles } from "../../../src/hostagent/ca-files.js";
import { TslimaError } from "../../../src/errors.js";
import { testConfig } from "../support/config.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "tslima-ca-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const files = (...f: string[]) => testConfig({ extra: { caCerts: { files: f } } });
function fails(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_CONFIG_CA_FILE" && pattern.test(e.message));
}

test("caCerts.files: read in order, ~ is the host home, a symlink to a file is followed", () => {
  withDir((dir) => {
    writeFileSync(join(dir, "a.pem"), PEM);
    writeFileSync(join(dir, "b.pem"), PEM.replace("MIIB", "MIIC"));
    symlinkSync(join(dir, "b.pem"), join(dir, "link.pem"));
    assert.deepEqual(readCaCertFiles(files("~/a.pem", join(dir, "link.pem")), dir, "/i/lima.yaml"), [PEM, PEM.replace("MIIB", "MIIC")]);
    assert.deepEqual(readCaCertFiles(testConfig(), dir, "/i/lima.yaml"), []);
  });
});

test("caCerts.files: a directory, a device, a missing file or a non-PEM file fails naming the entry", () => {
  withDir((dir) => {
    mkdirSync(join(dir, "certs"));
    writeFileSync(join(dir, "der.crt"), Buffer.from([0x30, 0x82, 0x01]));
    writeFileSync(join(dir, "ok.pem"), PEM);
    const read = (...f: string[]) => () => readCaCertFiles(files(...f), dir, "/i/lima.yaml");
    fails(read(join(dir, "ok.pem"), join(dir, "certs")), /^caCerts\.files\[1\] \(.*\/certs\) in \/i\/lima\.yaml: is a directory$/);
    fails(read("/dev/null"), /caCerts\.files\[0\] \(\/dev\/null\).*is not a regular file/);
    fails(read(join(dir, "nope.pem")), /caCerts\.files\[0\].*cannot be read \(ENOENT\)/);
    fails(read(join(dir, "der.crt")), /caCerts\.files\[0\].*holds no PEM certificate/);
  });
});
