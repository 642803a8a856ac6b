import { test } from "node:test";
import assert from "node:assert/strict";
import { fillDefaults, validateConfig, type HostFacts } from "../../../src/config/index.js";
import { fieldPath } from "../../../src/config/errors.js";
import { linuxHost, macHost } from "./support.js";

const image = { location: "build:debian-12", arch: "x86_64" };

/** "field: message" lines of the errors (not warnings) for a YAML object. */
function errors(y: Record<string, unknown>, host: HostFacts = linuxHost): string[] {
  const yaml = { images: [image], ...y };
  const { config } = fillDefaults(yaml, host, "t");
  return validateConfig(config, yaml, host).filter((f) => !f.warning).map((f) => `${fieldPath(f.path)}: ${f.message}`);
}
function one(y: Record<string, unknown>, field: string, pattern: RegExp, host?: HostFacts): void {
  const errs = errors(y, host);
  assert.equal(errs.length, 1, `expected one error, got ${JSON.stringify(errs)}`);
  assert.ok(errs[0]?.startsWith(`${field}: `), errs[0]);
  assert.match(errs[0] ?? "", pattern);
}

test("a minimal config is valid", () => {
  assert.deepEqual(errors({ mounts: [{ location: "~" }] }), []);
});

test("images: required, location and arch, digest format, kernel arch", () => {
  one({ images: [] }, "images", /at least one image/);
  one({ images: [{ location: "", arch: "x86_64" }] }, "images[0].location", /must be set/);
  one({ images: [{ location: "a.img", arch: "mips" }] }, "images[0].arch", /"x86_64", "aarch64"/);
  one({ images: [{ ...image, digest: "md5:abc" }] }, "images[0].digest", /sha256/);
  one({ images: [{ ...image, digest: `sha256:${"A".repeat(64)}` }] }, "images[0].digest", /: must be "sha256:", "sha384:" or "sha512:" followed by the lowercase hex digest, got "sha256:A+"$/);
  one({ images: [{ ...image, digest: `sha384:${"a".repeat(64)}` }] }, "images[0].digest", /got "sha384:a{64}"/);
  assert.deepEqual(errors({ images: [{ ...image, digest: `sha384:${"a".repeat(96)}` }] }), []);
  one({ images: [{ ...image, kernel: { location: "k", arch: "aarch64" } }] }, "images[0].kernel.arch", /image's arch/);
});

test("arch, os and vmType values; deliberate refusals say 'not supported by tslima'", () => {
  one({ arch: "sparc" }, "arch", /must be one of/);
  one({ os: "Plan9" }, "os", /must be "Linux"/);
  one({ os: "Darwin" }, "os", /not supported by tslima/);
  one({ vmType: "vz" }, "vmType", /not supported by tslima on Linux/);
  // vz would default mountType to virtiofs; that is not a second error on macOS
  one({ vmType: "vz" }, "vmType", /not supported by tslima yet/, macHost);
  one({ vmType: "wsl2" }, "vmType", /not supported by tslima/);
  one({ vmType: "bhyve" }, "vmType", /must be one of "qemu"/);
});

test("cpus, memory and disk", () => {
  one({ cpus: -1 }, "cpus", /positive integer/);
  one({ memory: "4 gigs" }, "memory", /must be a size/);
  one({ disk: "0" }, "disk", /larger than 0/);
  assert.deepEqual(errors({ memory: "512M", disk: "100G" }), []);
});

test("mounts: absolute or ~ locations, forbidden and reserved mount points", () => {
  one({ mounts: [{ location: "src" }] }, "mounts[0].location", /absolute path or start with "~"/);
  // with its own (bad) mountPoint, a relative location is two problems
  assert.equal(errors({ mounts: [{ location: "src", mountPoint: "/etc" }] }).length, 2);
  one({ mounts: [{ location: "~" }] }, "mounts[0].mountPoint", /home directory/, { ...linuxHost, home: "/home/alice.guest" });
  for (const mp of ["/", "/bin", "/dev", "/etc", "/home", "/opt", "/sbin", "/tmp", "/usr", "/var", "/etc/"]) {
    one({ mounts: [{ location: "/data", mountPoint: mp }] }, "mounts[0].mountPoint", /system path/);
  }
  one({ mounts: [{ location: "/data", mountPoint: "/home/alice.guest" }] }, "mounts[0].mountPoint", /home directory/);
  one({ mounts: [{ location: "/data", mountPoint: "~/data" }] }, "mounts[0].mountPoint", /must not start with "~"/);
  one({ mounts: [{ location: "/data", mountPoint: "data" }] }, "mounts[0].mountPoint", /absolute path/);
  assert.deepEqual(errors({ mounts: [{ location: "/etc" , mountPoint: "/mnt/host-etc" }] }), []);
});

test("9p options: securityModel, protocolVersion, cache (listing valid values) and msize >= 4KiB", () => {
  const m = (p9: Record<string, unknown>) => ({ mounts: [{ location: "/data", "9p": p9 }] });
  one(m({ securityModel: "mapped" }), "mounts[0].9p.securityModel", /"passthrough", "mapped-xattr", "mapped-file", "none", got "mapped"/);
  one(m({ protocolVersion: "9p2000.X" }), "mounts[0].9p.protocolVersion", /"9p2000", "9p2000.u", "9p2000.L"/);
  one(m({ protocolVersion: "9p2000" }), "mounts[0].9p.protocolVersion", /not served by QEMU's 9p server.*use "9p2000.L"/);
  one(m({ cache: "fast" }), "mounts[0].9p.cache", /"none", "loose", "fscache", "mmap"/);
  one(m({ msize: "1KiB" }), "mounts[0].9p.msize", /at least 4KiB/);
  one(m({ msize: "big" }), "mounts[0].9p.msize", /must be a size/);
  assert.deepEqual(errors(m({ msize: "4KiB", securityModel: "mapped-file", protocolVersion: "9p2000.u", cache: "none" })), []);
});

test("mountType values and mountTypesUnsupported", () => {
  one({ mountType: "nfs" }, "mountType", /must be one of/);
  one({ mountType: "9p", mountTypesUnsupported: ["9p"] }, "mountType", /mountTypesUnsupported/);
  one({ mountType: "wsl2" }, "mountType", /not supported by tslima/);
  one({ mountType: "virtiofs" }, "mountType", /not supported by tslima on Darwin/, macHost);
});

test("ssh.localPort range", () => {
  one({ ssh: { localPort: 22 } }, "ssh.localPort", /must not be 22/);
  one({ ssh: { localPort: 70000 } }, "ssh.localPort", /< 65536/);
  assert.deepEqual(errors({ ssh: { localPort: 60022 } }), []);
});

test("portForwards: ports, ranges, IPs, sockets, proto, reverse", () => {
  one({ portForwards: [{ guestPort: 80, hostPort: 22 }] }, "portForwards[0].hostPort", /must not be 22/);
  one({ portForwards: [{ guestPortRange: [10, 5] }] }, "portForwards[0].guestPortRange[1]", /greater than or equal/);
  one({ portForwards: [{ guestPortRange: [10, 20], hostPortRange: [10, 11] }] }, "portForwards[0].hostPortRange", /same number of ports/);
  one({ portForwards: [{ guestPort: 80, hostIP: "localhost" }] }, "portForwards[0].hostIP", /IP address/);
  one({ portForwards: [{ guestPort: 80, guestIP: "1.2.3" }] }, "portForwards[0].guestIP", /IP address/);
  one({ portForwards: [{ guestSocket: "run/x.sock", hostSocket: "x.sock" }] }, "portForwards[0].guestSocket", /absolute path/);
  one({ portForwards: [{ guestSocket: "/run/x.sock", hostPortRange: [1000, 1001] }] }, "portForwards[0].guestSocket", /single port or socket/);
  one({ portForwards: [{ guestPort: 53, proto: "sctp" }] }, "portForwards[0].proto", /"tcp", "udp", "any"/);
  one({ portForwards: [{ guestPort: 80, reverse: true }] }, "portForwards[0].reverse", /guestSocket and hostSocket/);
  one({ portForwards: [{ guestIPMustBeZero: true, guestIP: "127.0.0.1" }] }, "portForwards[0].guestIPMustBeZero", /0\.0\.0\.0/);
  one({ portForwards: [{ guestSocket: "/s", hostSocket: `/${"x".repeat(120)}` }] }, "portForwards[0].hostSocket", /UNIX_PATH_MAX/);
  // a relative hostSocket lives under <instance>/sock/ and may not climb out of it
  one({ portForwards: [{ guestSocket: "/s", hostSocket: "../lima.yaml" }] }, "portForwards[0].hostSocket", /stays under <instance>\/sock\/, got "\.\.\/lima\.yaml"/);
  one({ portForwards: [{ guestSocket: "/s", hostSocket: "a/../../../x" }] }, "portForwards[0].hostSocket", /stays under <instance>\/sock\//);
  one({ portForwards: [{ guestSocket: "/s", hostSocket: ".." }] }, "portForwards[0].hostSocket", /stays under/);
  // a range that is wrong at both ends, or derived from a wrong port, is one problem
  one({ portForwards: [{ guestPort: 80, hostPortRange: [22, 22] }] }, "portForwards[0].hostPortRange[0]", /must not be 22/);
  one({ portForwards: [{ guestPortRange: [22, 22] }] }, "portForwards[0].guestPortRange[0]", /must not be 22/);
  one({ portForwards: [{ guestPort: 70000 }] }, "portForwards[0].guestPort", /< 65536/);
  one({ portForwards: [{ guestPortRange: [10, 5], hostPortRange: [10, 11] }] }, "portForwards[0].guestPortRange[1]", /greater than or equal/);
  one({ portForwards: [{ guestPort: 80, hostPort: 8080, hostPortRange: [8081, 8081] }] }, "portForwards[0].hostPort", /hostPortRange\[0\]/);
  assert.deepEqual(errors({ portForwards: [{ guestSocket: "/var/run/docker.sock", hostSocket: "docker.sock" }, { guestSocket: "/s", hostSocket: "a/../b.sock" }, { guestPort: 8080, hostIP: "0.0.0.0", proto: "any" }] }), []);
});

test("provision modes and per-mode fields", () => {
  one({ provision: [{ mode: "later", script: "#!/bin/sh" }] }, "provision[0].mode", /must be one of "system", "user", "boot", "dependency", "data", "yq"/);
  one({ provision: [{ mode: "ansible", playbook: "p.yaml" }] }, "provision[0].mode", /not supported by tslima/);
  one({ provision: [{ mode: "system" }] }, "provision[0].script", /must not be empty/);
  one({ provision: [{ mode: "user", script: "x", skipDefaultDependencyResolution: true }] }, "provision[0].skipDefaultDependencyResolution", /dependency/);
  one({ provision: [{ mode: "system", script: "x", path: "/etc/x" }] }, "provision[0].path", /only be set when mode is "data"/);
  one({ provision: [{ mode: "data", path: "etc/x", content: "x" }] }, "provision[0].path", /absolute/);
  one({ provision: [{ mode: "data", path: "/etc/x" }] }, "provision[0].content", /must be set/);
  one({ provision: [{ mode: "data", path: "/etc/x", content: "x", permissions: "rw" }] }, "provision[0].permissions", /octal/);
  one({ provision: [{ mode: "yq", path: "/etc/x.json" }] }, "provision[0].expression", /must be set/);
  assert.deepEqual(errors({ provision: [{ mode: "dependency", script: "#!/bin/sh", skipDefaultDependencyResolution: true }, { mode: "data", path: "/etc/x", content: "x", permissions: 600 }, { mode: "yq", path: "/etc/a.json", expression: ".a = 1" }, { mode: "boot", script: "true" }] }), []);
});

test("probes: mode readiness and a #! script", () => {
  one({ probes: [{ script: "echo hi" }] }, "probes[0].script", /#!/);
  one({ probes: [{ mode: "liveness", script: "#!/bin/sh" }] }, "probes[0].mode", /readiness/);
});

test("networks: lima and socket networks; MAC, interface rules", () => {
  assert.deepEqual(errors({ networks: [{ lima: "user-v2" }, { lima: "shared" }] }), [], "networks.yaml's names are checked at start");
  one({ networks: [{ lima: "user-v2", socket: "/a" }] }, "networks[0].socket", /mutually exclusive/);
  one({ networks: [{ lima: "user-v2", vzNAT: true }] }, "networks[0].vzNAT", /mutually exclusive/);
  one({ networks: [{ vzNAT: true }] }, "networks[0].vzNAT", /vz/);
  one({ networks: [{}] }, "networks[0]", /must be set/);
  one({ networks: [{ socket: "/var/run/vmnet", macAddress: "52:55" }] }, "networks[0].macAddress", /MAC/);
  one({ networks: [{ socket: "/a", interface: "a-very-long-interface-name" }] }, "networks[0].interface", /16 bytes/);
  one({ networks: [{ socket: "/a", interface: "x" }, { socket: "/b", interface: "x" }] }, "networks[1].interface", /already used/);
  assert.deepEqual(errors({ networks: [{ socket: "/var/run/socket_vmnet", macAddress: "52:55:55:12:34:56" }] }), []);
});

test("param names, dns with hostResolver, additionalDisks, versions, user", () => {
  one({ param: { "1bad": "x" } }, "param.1bad", /must start with a letter/);
  one({ param: { ok: "a\u0007b" } }, "param.ok", /non-printable/);
  one({ dns: ["1.1.1.1"] }, "dns", /hostResolver.enabled/);
  assert.deepEqual(errors({ dns: ["1.1.1.1"], hostResolver: { enabled: false } }), []);
  one({ caCerts: { files: ["ca.pem"] } }, "caCerts.files[0]", /absolute host path or start with ~\//);
  assert.deepEqual(errors({ caCerts: { files: ["~/ca.pem", "/etc/ca.pem"] } }), []);
  assert.deepEqual(errors({ additionalDisks: ["data", { name: "logs", format: false, fsType: "xfs", fsArgs: ["-m", "0"] }] }), []);
  one({ additionalDisks: ["bad name"] }, "additionalDisks[0]", /must be a disk name .*limactl disk create/);
  one({ additionalDisks: ["data", { name: "data" }] }, "additionalDisks[1].name", /listed twice/);
  one({ additionalDisks: [{ name: "d", fsType: "ext4; rm" }] }, "additionalDisks[0].fsType", /file system type/);
  one({ minimumLimaVersion: "two" }, "minimumLimaVersion", /version/);
  one({ user: { name: "Bad Name" } }, "user.name", /Linux user name/);
});

test("containerd is acted on: no finding for Lima's default archives", () => {
  const yaml = { images: [image], containerd: { user: true } };
  const findings = validateConfig(fillDefaults(yaml, linuxHost, "t").config, yaml, linuxHost);
  assert.deepEqual(findings.map((f) => [fieldPath(f.path), f.warning]), []);
});
