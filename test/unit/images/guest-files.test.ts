import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { espFiles, guestFiles, GUEST_HOSTNAME, INITRAMFS_MODULES } from "../../../src/images/builder/guest-files.js";
import { guestCmdline, ROOT_LABEL } from "../../../src/images/builder/spec.js";

const files = guestFiles({ mirror: "http://mirror.example/debian", suite: "bookworm" });
const text = (p: string) => {
  const f = files[p];
  assert.ok(f, `${p} is written`);
  return f.content;
};

test("fstab mounts the root by label", () => {
  const root = text("/etc/fstab")
    .split("\n")
    .find((l) => /\s\/\s/.test(l));
  assert.ok(root);
  assert.match(root, new RegExp(`^LABEL=${ROOT_LABEL}\\s+/\\s+ext4\\s`));
});

test("the hostname resolves through /etc/hosts", () => {
  assert.equal(text("/etc/hostname").trim(), GUEST_HOSTNAME);
  assert.match(text("/etc/hosts"), new RegExp(`^127\\.0\\.1\\.1\\s+${GUEST_HOSTNAME}$`, "m"));
});

test("cloud-init looks for NoCloud (the cidata disk) and manages /etc/hosts", () => {
  const cfg = parse(text("/etc/cloud/cloud.cfg.d/99_tslima.cfg")) as { datasource_list: string[]; manage_etc_hosts: boolean };
  assert.equal(cfg.datasource_list[0], "NoCloud");
  assert.equal(cfg.manage_etc_hosts, true);
});

test("sshd gets host keys even without cloud-init, before ssh.service", () => {
  const unit = text("/etc/systemd/system/tslima-ssh-keygen.service");
  assert.match(unit, /^Before=ssh\.service$/m);
  assert.match(unit, /ssh-keygen -A/);
  assert.match(unit, /ConditionPathExists=!\/etc\/ssh\/ssh_host_ed25519_key/);
});

test("the initramfs has the virtio disk drivers, ext4, 9p and virtiofs", () => {
  for (const m of ["virtio_blk", "virtio_pci", "ext4", "9pnet_virtio", "virtiofs"]) assert.ok(INITRAMFS_MODULES.includes(m), m);
  assert.match(text("/etc/initramfs-tools/modules"), /^virtio_blk$/m);
  assert.match(text("/etc/apt/sources.list"), /^deb http:\/\/mirror\.example\/debian bookworm main$/m);
});

test("the boot loader entry boots the ESP's kernel with the same command line as direct kernel boot", () => {
  const esp = espFiles({ title: "t" });
  const entry = esp["/loader/entries/tslima.conf"];
  assert.ok(entry);
  assert.match(entry, /^linux \/vmlinuz$/m);
  assert.match(entry, /^initrd \/initrd\.img$/m);
  assert.ok(entry.includes(`options ${guestCmdline()}\n`));
  assert.match(esp["/loader/loader.conf"] ?? "", /^default tslima\.conf$/m);
});
