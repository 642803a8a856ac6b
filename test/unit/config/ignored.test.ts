import { test } from "node:test";
import assert from "node:assert/strict";
import { fillDefaults, loadConfigText, validateConfig } from "../../../src/config/index.js";
import { fieldPath } from "../../../src/config/errors.js";
import { IMAGE, linuxHost, tempTree } from "./support.js";

/** Fields tslima accepts but does not act on are never ignored silently: one warning each. */
const image = { location: "build:debian-12", arch: "x86_64" };

function warnings(y: Record<string, unknown>): string[] {
  const yaml = { images: [image], ...y };
  return validateConfig(fillDefaults(yaml, linuxHost, "t").config, yaml, linuxHost)
    .filter((f) => f.warning)
    .map((f) => fieldPath(f.path));
}

const asking: Array<[Record<string, unknown>, string]> = [
  [{ vmOpts: { qemu: { minimumVersion: "8.2.1" } } }, "vmOpts.qemu.minimumVersion"],
  [{ vmOpts: { vz: { diskImageFormat: "raw" } } }, "vmOpts.vz"],
  [{ osOpts: { freebsd: { x: 1 } } }, "osOpts"],
  [{ rosetta: { enabled: true } }, "rosetta"],
  [{ mounts: [{ location: "/a", sshfs: { sftpDriver: "openssh-sftp-server" } }] }, "mounts[0].sshfs.sftpDriver"],
  [{ ssh: { overVsock: true } }, "ssh.overVsock"],
  [{ provision: [{ mode: "system", script: "#!/bin/sh", user: "root" }] }, "provision[0].user"],
  [{ networks: [{ socket: "/var/run/socket_vmnet" }] }, "networks[0].socket"],
  [{ guestInstallPrefix: "/opt/lima" }, "guestInstallPrefix"],
  [{ nestedVirtualization: true }, "nestedVirtualization"],
];

for (const [yaml, field] of asking) {
  test(`${field} set: one warning at the field`, () => {
    assert.deepEqual(warnings(yaml), [field]);
  });
}

test("values that ask for nothing, and what tslima implements, give no warning", () => {
  const quiet = {
    rosetta: { enabled: false, binfmt: null },
    mountInotify: true,
    ssh: { overVsock: false, forwardAgent: true },
    containerd: { system: true, user: true },
    portForwards: [{ guestPort: 8080, proto: "tcp" }, { guestPort: 53, proto: "udp" }, { guestPort: 80, proto: "any" }, { guestSocket: "/run/x.sock", hostSocket: "x.sock" }],
    propagateProxyEnv: true,
    video: { display: "vnc", vnc: { display: "127.0.0.1:1" } },
    tpm: true,
    audio: { device: "" },
    caCerts: { certs: ["-----BEGIN CERTIFICATE-----"], files: ["/etc/ca.pem"], removeDefaults: true },
    user: { passwordlessSudo: false },
    nestedVirtualization: false,
    vmOpts: { qemu: { cpuType: { x86_64: "host" } }, vz: { rosetta: { enabled: null } } },
    minimumLimaVersion: "2.0.0",
    copyToHost: [{ guest: "/etc/x", host: "/tmp/x", deleteOnStop: true }],
  };
  assert.deepEqual(warnings(quiet), []);
});

test("a field set in several list entries is warned about once", () => {
  const rules = [1, 2, 3].map((n) => ({ location: `/m${n}`, sshfs: { sftpDriver: "builtin" } }));
  assert.deepEqual(warnings({ mounts: rules }), ["mounts[0].sshfs.sftpDriver"]);
});

test("the warning is positioned like an error: FILE:LINE:COL: field: warning: is ignored by tslima", () => {
  const t = tempTree({});
  try {
    const file = t.path("inst.yaml");
    const { warnings: w } = loadConfigText(`${IMAGE}nestedVirtualization: true\nrosetta:\n  enabled: true\n`, file, { hostFacts: linuxHost, tslimaHome: t.path("home") });
    assert.deepEqual(w, [
      `${file}:6:3: rosetta: warning: is ignored by tslima: Rosetta needs vmType vz on macOS`,
      `${file}:4:23: nestedVirtualization: warning: is ignored by tslima: a vmType vz/krunkit feature (Apple M3 or later) in Lima; with QEMU, KVM's \`-cpu host\` already passes the host's virtualization extensions, and TCG has none to give`,
    ]);
  } finally {
    t.cleanup();
  }
});
