import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { cidataFiles, userData } from "../../../src/cidata/index.js";
import { SSHFS_ALLOW, SSHFS_HELPER, SSHFS_SUDOERS, sshfsAllowKey } from "../../../src/mounts/sshfs-helper.js";
import { mountPlan } from "../../../src/mounts/index.js";
import { fixturesDir } from "../../helpers.js";
import { testPaths } from "../mounts/testconfig.js";
import { sampleConfig, sampleContext } from "./sample.js";

interface WriteFile { path: string; content: string; permissions: string; owner: string; encoding?: string }
interface CloudConfig {
  hostname: string;
  users: { name: string; uid: number; homedir: string; shell: string; sudo: string | string[]; lock_passwd: boolean; ssh_authorized_keys: string[] }[];
  mounts: string[][];
  mount_default_fields: (string | null)[];
  write_files: WriteFile[];
  bootcmd: string[];
  ssh_pwauth: boolean;
  timezone?: string;
  manage_etc_hosts: boolean;
}

const GOLDEN = join(fixturesDir, "cidata", "user-data.golden");

test("user-data of a representative config matches the golden file", () => {
  const text = cidataFiles(sampleConfig(), sampleContext())["user-data"] ?? "";
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
});

test("user-data is YAML 1.1 safe: values PyYAML would read as numbers or booleans are quoted", () => {
  const c = sampleConfig();
  c.user.comment = "yes";
  c.user.name = "on";
  const text = userData(c, sampleContext());
  assert.match(text, /gecos: "yes"/);
  assert.match(text, /name: "on"/);
  const net = cidataFiles(c, { ...sampleContext(), macAddress: "52:55:55:12:34:56" })["network-config"] ?? "";
  assert.match(net, /macaddress: "52:55:55:12:34:56"/, "unquoted, YAML 1.1 reads a MAC as a base-60 integer");
});

test("user-data parses back as #cloud-config with the expected structure", () => {
  const text = userData(sampleConfig(), sampleContext());
  assert.ok(text.startsWith("#cloud-config\n"));
  const doc = parse(text) as CloudConfig;
  assert.equal(doc.hostname, "lima-default");
  assert.equal(doc.manage_etc_hosts, true);
  assert.equal(doc.ssh_pwauth, false);
  assert.equal(doc.timezone, "Europe/Berlin");
  const [u] = doc.users;
  assert.ok(u);
  assert.deepEqual([u.name, u.uid, u.homedir, u.shell, u.sudo, u.lock_passwd], ["alice", 1001, "/home/alice.linux", "/bin/bash", "ALL=(ALL) NOPASSWD:ALL", true]);
  assert.deepEqual(u.ssh_authorized_keys, ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForTestsOnly tslima"]);
  assert.equal(doc.mounts.length, 2);
  for (const m of doc.mounts) {
    assert.equal(m.length, 6);
    assert.ok(m.every((f) => typeof f === "string"), "every fstab field a string");
    assert.match(m[0] ?? "", /^lima-[0-9a-f]{16}$/);
  }
  assert.equal(doc.mounts[1]?.[1], "/tmp/lima\\040dir");
  assert.deepEqual(doc.mount_default_fields, [null, null, "auto", "defaults,nofail", "0", "2"]);
  const paths = doc.write_files.map((f) => f.path);
  for (const p of ["runner.sh", "plan.sh", "env.sh", "provision/0", "provision/1", "provision/3", "data/4"]) {
    assert.ok(paths.includes(`/usr/local/libexec/tslima/${p}`), p);
  }
  assert.ok(paths.includes("/var/lib/cloud/scripts/per-boot/90-tslima.sh"));
  assert.equal(doc.bootcmd.length, 3, "mount points, the proxy files, then one boot-mode script");
  assert.equal(doc.bootcmd[0], "mkdir -p '/home/alice' '/tmp/lima dir'");
  assert.match(doc.bootcmd[1] ?? "", /tslima-proxy/);
  const plan = doc.write_files.find((f) => f.path.endsWith("/plan.sh"))?.content ?? "";
  const order = plan.split("\n").filter((l) => /^(data|script|hosts_entry|mount_all)/.test(l)).map((l) => l.split(" ").slice(0, 2).join(" "));
  assert.deepEqual(order, ["hosts_entry '192.168.5.2'", "hosts_entry '192.168.5.50'", "mount_all", "data 4", "script dependency", "script system", "script user"]);
});

test("instance-id changes with the boot configuration and only then", () => {
  const a = cidataFiles(sampleConfig(), sampleContext());
  const b = cidataFiles(sampleConfig(), sampleContext());
  assert.equal(a["meta-data"], b["meta-data"]);
  assert.match(a["meta-data"] ?? "", /^instance-id: tslima-default-[0-9a-f]{12}\nlocal-hostname: lima-default\n$/);
  const changed = sampleConfig();
  changed.env.NEW = "1";
  assert.notEqual(cidataFiles(changed, sampleContext())["meta-data"], a["meta-data"]);
  const other = cidataFiles(sampleConfig(), { ...sampleContext(), instanceName: "other_vm.x" })["meta-data"] ?? "";
  assert.match(other, /instance-id: tslima-other_vm\.x-/);
  assert.match(other, /local-hostname: lima-other-vm-x/);
});

test("network-config: v2 DHCP, by MAC (renamed eth0) when known, else en*/eth*", () => {
  const byName = parse(cidataFiles(sampleConfig(), sampleContext())["network-config"] ?? "") as { version: number; ethernets: Record<string, { match: Record<string, string>; dhcp4: boolean }> };
  assert.equal(byName.version, 2);
  assert.deepEqual(Object.values(byName.ethernets).map((e) => e.match.name), ["en*", "eth*"]);
  const byMac = parse(cidataFiles(sampleConfig(), { ...sampleContext(), macAddress: "52:55:55:AB:CD:EF" })["network-config"] ?? "") as typeof byName;
  assert.deepEqual(byMac.ethernets.eth0, { match: { macaddress: "52:55:55:ab:cd:ef" }, "set-name": "eth0", dhcp4: true, "dhcp-identifier": "mac" });
});

test("bad env names and provision without script are config errors naming the field", () => {
  const c = sampleConfig();
  c.env["BAD-NAME"] = "x";
  assert.throws(() => userData(c, sampleContext()), /env\.BAD-NAME/);
  const d = sampleConfig();
  d.provision = [{ mode: "data", content: "x" }];
  assert.throws(() => userData(d, sampleContext()), /provision\[0\]\.path/);
  const f = sampleConfig();
  f.provision = [{ mode: "system", file: "setup.sh" }];
  assert.throws(() => userData(f, sampleContext()), /provision\[0\]\.file/);
});

test("cloud-init schema check when cloud-init is on the host", (t) => {
  if (spawnSync("sh", ["-c", "command -v cloud-init"]).status !== 0) return t.skip("cloud-init not installed on the host; structure checked by parsing instead");
  const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
  t.after(() => spawnSync("rm", ["-rf", dir]));
  const f = join(dir, "user-data");
  writeFileSync(f, userData(sampleConfig(), sampleContext()));
  const r = spawnSync("cloud-init", ["schema", "-c", f], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("user.passwordlessSudo: NOPASSWD by default; false = sudo with a password set once by the runner", () => {
  const [dflt] = (parse(userData(sampleConfig(), sampleContext())) as CloudConfig).users;
  assert.deepEqual([dflt?.sudo, dflt?.lock_passwd], ["ALL=(ALL) NOPASSWD:ALL", true]);
  const c = sampleConfig();
  c.user.passwordlessSudo = false;
  const doc = parse(userData(c, sampleContext())) as CloudConfig;
  assert.deepEqual([doc.users[0]?.sudo, doc.users[0]?.lock_passwd], ["ALL=(ALL) ALL", false], "the password the runner sets must stay unlocked");
  const plan = doc.write_files.find((f) => f.path.endsWith("/plan.sh"))?.content ?? "";
  assert.match(plan, /^user_password$/m);
  assert.doesNotMatch(userData(sampleConfig(), sampleContext()), /^\s*user_password$/m);
});

test("reverse-sshfs: the helper and its allow-list are installed; without passwordless sudo only the helper runs without a password", () => {
  const c = sampleConfig();
  c.mountType = "reverse-sshfs";
  c.user.passwordlessSudo = false;
  const ctx = { ...sampleContext(), mounts: mountPlan(c, testPaths, { memoryBytes: 1024 ** 3 }) };
  const doc = parse(userData(c, ctx)) as CloudConfig;
  assert.equal(doc.users[0]?.sudo, "ALL=(ALL) ALL", "one rule: cloud-init's schema takes no list");
  const sudoers = doc.write_files.find((f) => f.path === SSHFS_SUDOERS);
  assert.deepEqual([sudoers?.content, sudoers?.permissions], [`alice ALL=(root) NOPASSWD: ${SSHFS_HELPER}\n`, "0440"]);
  assert.ok(!(parse(userData({ ...c, user: { ...c.user, passwordlessSudo: true } }, ctx)) as CloudConfig).write_files.some((f) => f.path === SSHFS_SUDOERS), "no extra rule when every command is password-free");
  const allow = doc.write_files.find((f) => f.path === SSHFS_ALLOW)?.content ?? "";
  const targets = ctx.mounts.mounts.map((m) => m.sshfs?.target);
  assert.equal(targets.length, 2);
  assert.deepEqual(allow.trim().split("\n"), targets.map((t) => (t ? sshfsAllowKey(t) : "")));
  assert.ok(doc.write_files.some((f) => f.path === SSHFS_HELPER && f.permissions === "0755"));
  assert.ok(!(parse(userData(sampleConfig(), sampleContext())) as CloudConfig).write_files.some((f) => f.path === SSHFS_HELPER), "no helper without sshfs mounts");
});

test("the pinned host key replaces the image's keys and cloud-init generates no other", () => {
  const doc = parse(userData(sampleConfig(), sampleContext())) as CloudConfig & { ssh_keys: Record<string, string>; ssh_deletekeys: boolean; ssh_genkeytypes: string[] };
  assert.deepEqual(Object.keys(doc.ssh_keys), ["ed25519_private", "ed25519_public"]);
  assert.equal(doc.ssh_keys.ed25519_private, sampleContext().hostKey?.privateKey);
  assert.equal(doc.ssh_keys.ed25519_public, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyHostKeyForTestsOnly tslima-host-default");
  assert.equal(doc.ssh_deletekeys, true);
  assert.deepEqual(doc.ssh_genkeytypes, ["ed25519"], "only the type given (cloud-init's schema refuses an empty list)");
  const { hostKey: _unused, ...noKey } = sampleContext();
  const without = parse(userData(sampleConfig(), noKey)) as Record<string, unknown>;
  assert.deepEqual([without.ssh_keys, without.ssh_genkeytypes, without.ssh_deletekeys], [undefined, undefined, undefined]);
});

test("env.sh (env: and param: values) is installed readable by root only; the runner opens it to the user's group", () => {
  const doc = parse(userData(sampleConfig(), sampleContext())) as CloudConfig;
  const env = doc.write_files.find((f) => f.path.endsWith("/env.sh"));
  assert.deepEqual([env?.permissions, env?.owner], ["0600", "root:root"]);
  assert.match(doc.bootcmd[2] ?? "", /^umask 077$/m, "the boot-mode copy of env.sh is root's only too");
});
