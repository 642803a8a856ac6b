import { test } from "node:test";
import assert from "node:assert/strict";
import { fillDefaults, validateConfig, type HostFacts } from "../../../src/config/index.js";
import { fieldPath } from "../../../src/config/errors.js";
import { linuxHost } from "./support.js";

/** Mount points, env names and host resources: what used to pass validation and fail only at start. */
const image = { location: "build:debian-12", arch: "x86_64" };

/** "field: message" lines, warnings marked "warning: ". */
function findings(y: Record<string, unknown>, host: HostFacts = linuxHost): string[] {
  const yaml = { images: [image], ...y };
  const { config } = fillDefaults(yaml, host, "t");
  return validateConfig(config, yaml, host).map((f) => `${fieldPath(f.path)}: ${f.warning ? "warning: " : ""}${f.message}`);
}
const mounts = (...points: string[]) => ({ mounts: points.map((mountPoint, i) => ({ location: `/data/${i}`, mountPoint })) });

test("the same mount point written differently is an error at the later entry", () => {
  for (const second of ["/mnt/a", "/mnt/a/", "/mnt//a", "/mnt/./a", "/mnt/b/../a"]) {
    const f = findings(mounts("/mnt/a", "/mnt/b", second));
    assert.deepEqual(f, ['mounts[2].mountPoint: is the same guest directory "/mnt/a" as mounts[0].mountPoint; use one entry per mount point'], second);
  }
  assert.deepEqual(findings(mounts("/mnt/a", "/mnt/ab", "/mnt/b")), []);
});

test("a mount point inside a later mount is a warning (it would be hidden); inside an earlier one is fine", () => {
  assert.deepEqual(findings(mounts("/mnt/a", "/mnt/a/b/c")), []);
  assert.deepEqual(findings(mounts("/mnt/a/b/c", "/mnt/x", "/mnt/a/")), [
    'mounts[0].mountPoint: warning: "/mnt/a/b/c" is inside mounts[2].mountPoint "/mnt/a", which is mounted after it and hides it; list mounts[2] first',
  ]);
});

test("system directories and kernel file systems are refused as mount points", () => {
  for (const mp of ["/proc", "/sys", "/boot", "/lib", "/lib64", "/lib32", "/libx32", "/run", "/boot/", "//sys"]) {
    const f = findings(mounts(mp));
    assert.equal(f.length, 1, `${mp}: ${f.join("; ")}`);
    assert.match(f[0] ?? "", /^mounts\[0\]\.mountPoint: must not be a system path/);
  }
  for (const mp of ["/proc/x", "/sys/fs/x", "/dev/shm/data"]) {
    assert.match(findings(mounts(mp))[0] ?? "", /must not be inside \/(proc|sys|dev), a file system the guest kernel provides/);
  }
  assert.deepEqual(findings(mounts("/library", "/boots", "/mnt/proc")), []);
  assert.deepEqual(findings({ mounts: [{ location: "/da\0ta", mountPoint: "/mnt/x\0" }] }), [
    "mounts[0].location: must not contain a NUL byte",
    "mounts[0].mountPoint: must not contain a NUL byte",
  ]);
});

test("env names must be shell variable names; values must not hold NUL", () => {
  for (const name of ["1A", "A-B", "A B", "", "A.B", "é"]) {
    assert.deepEqual(findings({ env: { [name]: "x" } }), [`env.${name}: "${name}" is not a valid environment variable name (letters, digits and "_", not starting with a digit)`]);
  }
  assert.deepEqual(findings({ env: { _A1: "x", a: "y" } }), []);
  assert.deepEqual(findings({ env: { A: "x\0y" } }), ["env.A: value must not contain a NUL byte"]);
});

test("memory beyond the host is an error; more CPUs, or a disk larger than the free space, a warning", () => {
  const host: HostFacts = { ...linuxHost, cpus: 4, memoryBytes: 8 * 1024 ** 3, diskFreeBytes: 50 * 1024 ** 3 };
  assert.deepEqual(findings({ cpus: 4, memory: "8GiB", disk: "50GiB" }, host), []);
  assert.deepEqual(findings({ memory: "9GiB" }, host), ['memory: "9GiB" is more than the host\'s memory (8GiB); give the guest at most 4GiB (half, as the default does)']);
  assert.deepEqual(findings({ cpus: 6 }, host), ["cpus: warning: 6 is more than the host's 4 CPUs; the guest's CPUs will share them"]);
  const [disk] = findings({ disk: "51GiB" }, host);
  assert.match(disk ?? "", /^disk: warning: "51GiB" is more than the 50GiB free for instances/);
  // the default disk size is not the user's choice: no warning for it
  assert.deepEqual(findings({}, { ...host, diskFreeBytes: 1024 ** 3 }), []);
});
