import { test } from "node:test";
import assert from "node:assert/strict";
import { fillDefaults } from "../../../src/config/index.js";
import { linuxHost, macHost } from "./support.js";

const image = { images: [{ location: "build:debian-12" }] };

test("builtin defaults on a Linux x86_64 host with 8 cores and 16GiB", () => {
  const { config } = fillDefaults({ ...image, mounts: [{ location: "~" }] }, linuxHost, "dev");
  assert.equal(config.vmType, "qemu");
  assert.equal(config.os, "Linux");
  assert.equal(config.arch, "x86_64");
  assert.equal(config.images[0]?.arch, "x86_64", "image arch defaults to the VM arch");
  assert.equal(config.cpus, 4);
  assert.equal(config.memory, "4GiB");
  assert.equal(config.disk, "100GiB");
  assert.equal(config.mountType, "9p");
  assert.deepEqual(config.ssh, { localPort: 0, loadDotSSHPubKeys: false, forwardAgent: false, forwardX11: false, forwardX11Trusted: false });
  assert.deepEqual(config.user, { name: "alice", comment: "alice", uid: 1001, home: "/home/alice.guest", shell: "/bin/bash", passwordlessSudo: true });
  assert.equal(config.timezone, "Europe/Berlin");
  assert.equal(config.hostResolver.enabled, true);
  assert.equal(config.propagateProxyEnv, true);
  const m = config.mounts[0];
  assert.equal(m?.location, "/home/alice");
  assert.equal(m?.mountPoint, "/home/alice");
  assert.equal(m?.writable, false);
  assert.deepEqual(m?.["9p"], { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cache: "fscache" });
  assert.deepEqual(m?.sshfs, { cache: true, followSymlinks: false, sftpDriver: "" });
});

test("builtin defaults for macOS on Apple silicon (2 cores, 6GiB): qemu, aarch64, half the RAM", () => {
  const { config } = fillDefaults({ ...image, mounts: [{ location: "~/src", writable: true }] }, macHost, "mac");
  assert.equal(config.vmType, "qemu", "vz is not implemented, so qemu is the default on macOS too");
  assert.equal(config.arch, "aarch64");
  assert.equal(config.images[0]?.arch, "aarch64");
  assert.equal(config.cpus, 2);
  assert.equal(config.memory, "3GiB");
  assert.equal(config.user.home, "/home/bob.guest");
  assert.equal(config.timezone, "");
  const m = config.mounts[0];
  assert.equal(m?.location, "/Users/bob/src");
  assert.equal(m?.["9p"].cache, "mmap", "writable mounts default to cache=mmap");
});

test("memory that is not a whole number of GiB is written in MiB", () => {
  const { config } = fillDefaults(image, { ...linuxHost, memoryBytes: 3 * 1024 ** 3 }, "x");
  assert.equal(config.memory, "1536MiB");
});

test("mountType falls back to reverse-sshfs when 9p is in mountTypesUnsupported; explicit values are kept", () => {
  assert.equal(fillDefaults({ ...image, mountTypesUnsupported: ["9p"] }, linuxHost, "x").config.mountType, "reverse-sshfs");
  assert.equal(fillDefaults({ ...image, mountType: "virtiofs" }, linuxHost, "x").config.mountType, "virtiofs");
  const vfs = fillDefaults({ ...image, mountType: "virtiofs", mounts: [{ location: "/a" }] }, linuxHost, "x").config;
  assert.equal(vfs.mounts[0]?.virtiofs.queueSize, 1024);
  assert.equal(fillDefaults({ ...image, mountType: "default" }, linuxHost, "x").config.mountType, "9p");
});

test("explicit 9p settings are kept, defaults only fill the gaps", () => {
  const { config } = fillDefaults({ ...image, mounts: [{ location: "/data", mountPoint: "/mnt/data", writable: true, "9p": { securityModel: "mapped-xattr", msize: "512KiB" } }] }, linuxHost, "x");
  assert.deepEqual(config.mounts[0]?.["9p"], { securityModel: "mapped-xattr", protocolVersion: "9p2000.L", msize: "512KiB", cache: "mmap" });
  assert.equal(config.mounts[0]?.mountPoint, "/mnt/data");
});

test("template variables in mounts, sockets and scripts; relative hostSocket goes under <dir>/sock", () => {
  const { config, notes } = fillDefaults(
    {
      ...image,
      param: { Dir: "d", Flag: true },
      mounts: [{ location: "{{.GlobalTempDir}}/tslima-{{.Name}}", mountPoint: "/mnt/{{.User}}/{{.Param.Dir}}" }],
      portForwards: [{ guestSocket: "/run/user/{{.UID}}/x.sock", hostSocket: "x.sock" }, { guestPort: 80, hostSocket: "{{.Home}}/y.sock" }],
      provision: [{ script: "#!/bin/sh\n{{if eq .Param.Flag \"true\"}}on{{else}}off{{end}} {{.Home}} {{.Hostname}}" }],
      probes: [{ script: "#!/bin/sh\n{{range .X}}{{end}}" }],
    },
    linuxHost,
    "my.vm",
    { instanceDir: "/th/my.vm" },
  );
  assert.equal(config.mounts[0]?.location, "/tmp/tslima-my.vm");
  assert.equal(config.mounts[0]?.mountPoint, "/mnt/alice/d");
  assert.equal(config.portForwards[0]?.guestSocket, "/run/user/1001/x.sock");
  assert.equal(config.portForwards[0]?.hostSocket, "/th/my.vm/sock/x.sock");
  assert.equal(config.portForwards[1]?.hostSocket, "/home/alice/y.sock");
  assert.deepEqual(config.portForwards[1]?.guestPortRange, [80, 80]);
  assert.deepEqual(config.portForwards[1]?.hostPortRange, [80, 80]);
  assert.equal(config.provision[0]?.script, "#!/bin/sh\non /home/alice.guest lima-my-vm");
  assert.equal(config.probes[0]?.script, "#!/bin/sh\n{{range .X}}{{end}}", "unsupported templates are kept as written");
  assert.deepEqual(notes.map((n) => n.path), [["probes", 0, "script"]]);
  assert.equal(config.probes[0]?.description, "user probe 1/1");
});

test("port forward defaults follow Lima", () => {
  const { config } = fillDefaults({ ...image, portForwards: [{ guestIPMustBeZero: true }, { guestPortRange: [4000, 4999], hostIP: "0.0.0.0" }] }, linuxHost, "x");
  assert.deepEqual(config.portForwards[0], {
    guestIPMustBeZero: true, guestIP: "0.0.0.0", guestPort: 0, guestPortRange: [1, 65535], guestSocket: "",
    hostIP: "127.0.0.1", hostPort: 0, hostPortRange: [1, 65535], hostSocket: "", proto: "tcp", reverse: false, ignore: false,
  });
  assert.deepEqual(config.portForwards[1]?.hostPortRange, [4000, 4999]);
  assert.equal(config.portForwards[1]?.hostIP, "0.0.0.0");
});

test("user defaults: an invalid or root host user becomes lima (uid 1000 for root)", () => {
  assert.equal(fillDefaults(image, { ...linuxHost, user: "Alice Smith" }, "x").config.user.name, "lima");
  const root = fillDefaults(image, { ...linuxHost, user: "root", uid: 0, home: "/root" }, "x").config.user;
  assert.deepEqual([root.name, root.uid, root.home], ["lima", 1000, "/home/lima.guest"]);
  const custom = fillDefaults({ ...image, user: { name: "dev", home: "/home/{{.User}}" } }, linuxHost, "x").config.user;
  assert.equal(custom.home, "/home/dev");
});

test("provision defaults per mode; plain mode drops mounts and port forwards", () => {
  const { config } = fillDefaults(
    { ...image, provision: [{ script: "#!/bin/sh" }, { mode: "data", path: "/etc/x", content: "x" }, { mode: "dependency", script: "#!/bin/sh" }] },
    linuxHost,
    "x",
  );
  assert.equal(config.provision[0]?.mode, "system");
  assert.deepEqual([config.provision[1]?.owner, config.provision[1]?.permissions, config.provision[1]?.overwrite], ["root:root", "644", true]);
  assert.equal(config.provision[2]?.skipDefaultDependencyResolution, false);
  const plain = fillDefaults({ ...image, plain: true, mounts: [{ location: "~" }], portForwards: [{ guestPort: 80 }] }, linuxHost, "x").config;
  assert.deepEqual([plain.mounts, plain.portForwards, plain.timezone], [[], [], ""]);
});

test("fields tslima does not act on are kept in extra", () => {
  const { config } = fillDefaults({ ...image, video: { display: "none" }, copyToHost: [{ guest: "/g", host: "{{.Dir}}/h" }] }, linuxHost, "x", { instanceDir: "/d/x" });
  assert.deepEqual(config.extra.video, { display: "none" });
  assert.deepEqual(config.extra.copyToHost, [{ guest: "/g", host: "/d/x/h" }]);
});

test("an emulated guest (arch: aarch64 on an x86_64 host) defaults to 2GiB of memory, the native vCPU count, explicit values win", () => {
  const { config } = fillDefaults({ ...image, arch: "aarch64" }, linuxHost, "arm");
  assert.equal(config.arch, "aarch64");
  assert.equal(config.memory, "2GiB");
  assert.equal(config.cpus, 4);
  assert.equal(fillDefaults({ ...image, arch: "aarch64" }, { ...linuxHost, memoryBytes: 2 * 1024 ** 3 }, "arm").config.memory, "1GiB");
  assert.equal(fillDefaults({ ...image, arch: "aarch64", memory: "3GiB", cpus: 1 }, linuxHost, "arm").config.memory, "3GiB");
  assert.equal(fillDefaults({ ...image, arch: "x86_64" }, linuxHost, "x").config.memory, "4GiB");
});
