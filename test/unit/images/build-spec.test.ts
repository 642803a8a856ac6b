import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE_PACKAGES, buildSpec, guestCmdline, ROOT_LABEL } from "../../../src/images/builder/spec.js";
import { isTslimaError } from "../../../src/errors.js";

test("buildSpec: the generic kernel and the base packages, sorted, and a key from the inputs", () => {
  const s = buildSpec("debian-12", "x86_64");
  assert.equal(s.suite, "bookworm");
  assert.equal(s.debianArch, "amd64");
  assert.ok(s.packages.includes("linux-image-amd64"));
  assert.ok(!s.packages.includes("linux-image-cloud-amd64"), "the cloud kernel has no 9p");
  for (const p of ["cloud-init", "python3-cffi-backend", "locales", "openssh-server", "sudo", "sshfs", "fio", "systemd-boot-efi"]) {
    assert.ok(s.packages.includes(p), p);
  }
  assert.deepEqual(s.packages, [...s.packages].sort());
  assert.match(s.key, /^[0-9a-f]{12}$/);
  assert.equal(s.dirName, `debian-12-x86_64-${s.key}`);
  assert.equal(s.efi.removable, "BOOTX64.EFI");
});

test("buildSpec: same inputs give the same key; extra packages (in any order) change it", () => {
  const a = buildSpec("debian-12", "x86_64");
  assert.equal(buildSpec("debian-12", "x86_64").key, a.key);
  const b = buildSpec("debian-12", "x86_64", ["jq", "docker.io"]);
  const c = buildSpec("debian-12", "x86_64", ["docker.io", "jq", "jq"]);
  assert.notEqual(b.key, a.key);
  assert.equal(c.key, b.key);
  assert.equal(buildSpec("debian-12", "x86_64", [BASE_PACKAGES[0]!]).key, a.key, "a base package adds nothing");
  assert.notEqual(buildSpec("debian-12", "aarch64").key, a.key);
  assert.equal(buildSpec("debian-12", "aarch64").debianArch, "arm64");
});

test("buildSpec: unknown names, arches and bad package names are user errors with a hint", () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(isTslimaError(e));
      assert.ok(e.hint);
      return e.code;
    }
    assert.fail("no error");
  };
  assert.equal(code(() => buildSpec("fedora-40", "x86_64")), "ERR_TSLIMA_IMAGE_BUILD_UNKNOWN");
  assert.equal(code(() => buildSpec("debian-12", "riscv64")), "ERR_TSLIMA_IMAGE_BUILD_ARCH");
  assert.equal(code(() => buildSpec("debian-12", "x86_64", ["rm -rf /"])), "ERR_TSLIMA_IMAGE_BUILD_PACKAGE");
});

test("guestCmdline finds the root by label and puts the console on the serial port", () => {
  assert.match(guestCmdline(), new RegExp(`root=LABEL=${ROOT_LABEL}( |$)`));
  assert.match(guestCmdline(), /console=ttyS0/);
  assert.equal(guestCmdline("x86_64"), guestCmdline());
  // QEMU's virt machine has a PL011 UART, which Linux names ttyAMA0
  assert.match(guestCmdline("aarch64"), new RegExp(`^root=LABEL=${ROOT_LABEL} .*console=ttyAMA0,115200n8$`));
  assert.doesNotMatch(guestCmdline("aarch64"), /ttyS0/);
});

test("a variant is its distribution with its packages: same key and directory as `debian-12 --package ...`", async () => {
  const { VARIANTS, isVariant } = await import("../../../src/images/builder/spec.js");
  const v = buildSpec("debian-12-docker", "x86_64");
  const same = buildSpec("debian-12", "x86_64", [...VARIANTS["debian-12-docker"]!.packages]);
  assert.equal(v.key, same.key);
  assert.equal(v.dirName, same.dirName);
  assert.ok(v.packages.includes("docker.io") && v.packages.includes("apparmor"));
  assert.notEqual(v.key, buildSpec("debian-12", "x86_64").key);
  assert.ok(isVariant("debian-12-docker") && !isVariant("debian-12") && !isVariant("__proto__"));
  assert.throws(() => buildSpec("__proto__", "x86_64"), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_UNKNOWN");
});

test("buildSpec: aarch64 is bootstrapped by mmdebstrap (maintainer scripts only under emulation), x86_64 by debootstrap", () => {
  assert.equal(buildSpec("debian-12", "x86_64").bootstrapper, "debootstrap");
  assert.equal(buildSpec("debian-12", "aarch64").bootstrapper, "mmdebstrap");
  assert.equal(buildSpec("debian-12-docker", "aarch64").bootstrapper, "mmdebstrap");
});
