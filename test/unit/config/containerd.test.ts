import { test } from "node:test";
import assert from "node:assert/strict";
import { fillDefaults, validateConfig } from "../../../src/config/index.js";
import { fieldPath } from "../../../src/config/errors.js";
import { containerdArchives, DEFAULT_CONTAINERD_ARCHIVES, wantsContainerd } from "../../../src/config/containerd.js";
import { linuxHost } from "./support.js";

const image = { location: "build:debian-12", arch: "x86_64" };
const fill = (y: Record<string, unknown>) => fillDefaults({ images: [image], ...y }, linuxHost, "t").config;
function findings(y: Record<string, unknown>): string[] {
  const yaml = { images: [image], ...y };
  return validateConfig(fillDefaults(yaml, linuxHost, "t").config, yaml, linuxHost).map((f) => `${fieldPath(f.path)}: ${f.message}`);
}

test("unset: off, with Lima's builtin nerdctl-full archives", () => {
  const c = fill({});
  assert.equal(c.containerd.system, false);
  assert.equal(c.containerd.user, false);
  assert.equal(wantsContainerd(c), false);
  assert.deepEqual(c.containerd.archives, DEFAULT_CONTAINERD_ARCHIVES);
  for (const a of DEFAULT_CONTAINERD_ARCHIVES) {
    assert.match(a.location, /^https:\/\/github\.com\/containerd\/nerdctl\/releases\/download\/v2\.3\.5\/nerdctl-full-2\.3\.5-linux-(amd64|arm64)\.tar\.gz$/);
    assert.match(a.digest ?? "", /^sha256:[0-9a-f]{64}$/);
  }
  assert.deepEqual(containerdArchives(c).map((a) => a.arch), ["x86_64"]);
});

test("archives given replace the builtin list; arch defaults to the config's", () => {
  const c = fill({ containerd: { system: true, archives: [{ location: "/srv/n.tgz" }, { location: "https://h/a.tgz", arch: "aarch64", digest: "sha256:" + "a".repeat(64) }] } });
  assert.equal(c.containerd.system, true);
  assert.deepEqual(c.containerd.archives, [
    { location: "/srv/n.tgz", arch: "x86_64" },
    { location: "https://h/a.tgz", arch: "aarch64", digest: "sha256:" + "a".repeat(64) },
  ]);
  assert.deepEqual(containerdArchives(c), [{ location: "/srv/n.tgz", arch: "x86_64" }]);
});

test("plain mode turns containerd off, as Lima", () => {
  const c = fill({ plain: true, containerd: { system: true, user: true } });
  assert.deepEqual([c.containerd.system, c.containerd.user], [false, false]);
});

test("archives are validated when containerd is asked for", () => {
  const bad = { archives: [{ location: "ftp://h/n.tgz", arch: "sparc", digest: "md5:00" }, { location: "" }] };
  assert.deepEqual(findings({ containerd: { user: true, ...bad } }), [
    'containerd.archives[0].location: must be an http(s) URL, a file:// URL or a path, got "ftp://h/n.tgz"',
    'containerd.archives[0].arch: must be one of "x86_64", "aarch64", "armv7l", "ppc64le", "riscv64", "s390x", got "sparc"',
    'containerd.archives[0].digest: must be "sha256:" or "sha512:" followed by the lowercase hex digest, got "md5:00"',
    "containerd.archives[1].location: must be set (an http(s) URL, a file:// URL or a path of a nerdctl-full archive)",
  ]);
  // as Lima: not looked at when neither system nor user asks for containerd
  assert.deepEqual(findings({ containerd: { user: false, ...bad } }), []);
  assert.deepEqual(findings({ containerd: { system: true, archives: [{ location: "file:///srv/n.tgz", digest: "sha512:" + "0".repeat(128) }] } }), []);
});
