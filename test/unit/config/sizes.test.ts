import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSize, parseSize, trySize } from "../../../src/config/sizes.js";
import { TslimaError } from "../../../src/errors.js";

test("sizes in Lima's forms are binary", () => {
  assert.equal(parseSize("4GiB"), 4 * 1024 ** 3);
  assert.equal(parseSize("128KiB"), 128 * 1024);
  assert.equal(parseSize("100G"), 100 * 1024 ** 3);
  assert.equal(parseSize("512M"), 512 * 1024 ** 2);
  assert.equal(parseSize("512mb"), 512 * 1024 ** 2);
  assert.equal(parseSize("4 GiB"), 4 * 1024 ** 3);
  assert.equal(parseSize("1.5GiB"), 1.5 * 1024 ** 3);
  assert.equal(parseSize("4096"), 4096);
  assert.equal(parseSize(8192), 8192);
  assert.equal(parseSize("2T"), 2 * 1024 ** 4);
});

test("text that is not a size is rejected", () => {
  for (const bad of ["", "GiB", "4 gigs", "-1", "4XiB", "1.2.3G"]) assert.equal(trySize(bad), undefined, bad);
  assert.throws(() => parseSize("lots"), (e: unknown) => e instanceof TslimaError && /invalid size "lots"/.test(e.message));
});

test("formatSize writes whole units", () => {
  assert.equal(formatSize(4 * 1024 ** 3), "4GiB");
  assert.equal(formatSize(1536 * 1024 ** 2), "1536MiB");
  assert.equal(formatSize(128 * 1024), "128KiB");
  assert.equal(formatSize(1000), "1000");
});

test("a size of a config field names the field when it does not parse", () => {
  assert.equal(parseSize("4k", "mounts[0].9p.msize"), 4096);
  assert.equal(parseSize("512KB", "mounts[0].9p.msize"), 524288);
  assert.throws(
    () => parseSize("lots", "mounts[0].9p.msize"),
    (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_CONFIG_SIZE" && /^mounts\[0\]\.9p\.msize: cannot read size "lots"/.test(e.message),
  );
});
