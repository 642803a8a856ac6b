import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { needsVirtiofsd, planBoot, type BootHost, type BootPlan } from "../../../src/hostagent/plan.js";
import type { SavedState } from "../../../src/hostagent/launch-plan.js";
import { hardwareArgv } from "../../../src/qemu/argv.js";
import { SUSPEND_RECORD_VERSION, type FileIdentity, type SuspendRecord } from "../../../src/store/suspend-record.js";
import type { Config } from "../../../src/config/types.js";
import { isTslimaError } from "../../../src/errors.js";
import { fixturesDir } from "../../helpers.js";
import { testConfig, testMount, testPaths } from "../mounts/testconfig.js";
import { linuxHost } from "../qemu/sample.js";

const kernelImage = {
  disk: "/home/alice/.tslima/default/basedisk",
  diskFormat: "qcow2" as const,
  kernel: "/home/alice/.tslima/default/kernel",
  initrd: "/home/alice/.tslima/default/initrd",
  cmdline: "root=LABEL=tslima-root ro console=tty0 console=ttyS0,115200n8",
  location: "build:debian-12",
};

const host: BootHost = {
  facts: linuxHost,
  qemu: { binary: "/usr/bin/qemu-system-x86_64", version: "7.2.22", accel: "tcg", firmware: { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd" } },
  image: kernelImage,
  sshPort: 60022,
  sshIdentityFile: "/home/alice/.tslima/_config/user",
  sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeUserKeyForTheGoldenFileOnly alice@host"],
  hostKey: {
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nfake-host-key-for-the-golden-file\n-----END OPENSSH PRIVATE KEY-----\n",
    publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForTheGoldenFileOnly lima-default",
  },
  vmgenid: "6c9b1d0e-3f4a-4e21-9b7d-2a5c8e0f1d34",
  freshDisk: false,
  readyCidata: undefined,
};

/** The plan as JSON; cidata files by size and hash (their text is pinned by test/fixtures/cidata). */
function planJson(plan: BootPlan): string {
  const cidata = Object.fromEntries(
    Object.entries(plan.cidata).map(([name, text]) => [name, `${text.length} bytes, sha256 ${createHash("sha256").update(text).digest("hex").slice(0, 16)}`]),
  );
  const { mounts: _mounts, ...rest } = plan;
  return `${JSON.stringify({ ...rest, cidata }, null, 2)}\n`;
}

/** Compares with test/fixtures/boot/<name>.json; UPDATE_GOLDEN=1 rewrites it (review the diff). */
function assertGolden(name: string, plan: BootPlan): void {
  const dir = join(fixturesDir, "boot");
  const file = join(dir, `${name}.json`);
  const text = planJson(plan);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.equal(text, readFileSync(file, "utf8"), `the boot plan differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}

const withEverything: Partial<Config> = {
  mounts: [testMount("/home/alice/src", { writable: true, "9p": { securityModel: "mapped-xattr", protocolVersion: "9p2000.L", msize: "128KiB", cache: "mmap" } })],
  provision: [{ mode: "system", script: "#!/bin/sh\napt-get install -y jq\n" }],
  probes: [{ mode: "readiness", description: "jq is installed", script: "#!/bin/bash\ncommand -v jq\n", hint: "see the provision script" }],
};

test("golden boot plan: direct kernel boot, a 9p mount, provisioning and a probe", () => {
  assertGolden("kernel-9p-provision-probe", planBoot(testConfig(withEverything), host, testPaths));
});

test("golden boot plan: UEFI firmware, reverse-sshfs", () => {
  const config = testConfig({ mountType: "reverse-sshfs", mounts: [testMount("/home/alice/src", { writable: true })] });
  const plan = planBoot(config, { ...host, image: { disk: kernelImage.disk, diskFormat: "qcow2", location: "https://example.org/debian-12.qcow2" } }, testPaths);
  assert.deepEqual(plan.efiVars, host.qemu.firmware, "the firmware whose variable store the instance gets a copy of");
  assertGolden("uefi-reverse-sshfs", plan);
});

test("golden boot plan: virtiofs starts one daemon per mount before QEMU", () => {
  const virtiofsd = { binary: "/usr/libexec/virtiofsd", flavor: "rust" as const, readonlyFlag: true, needsRoot: false };
  const config = testConfig({ mountType: "virtiofs", mounts: [testMount("/home/alice/src", { writable: true }), testMount("/home/alice/ro")] });
  const plan = planBoot(config, { ...host, virtiofsd }, testPaths);
  assert.deepEqual(plan.daemons.map((d) => d.location), ["/home/alice/src", "/home/alice/ro"]);
  assertGolden("kernel-virtiofs", plan);
});

test("golden boot plan: the host's proxy variables reach the guest's cidata (propagateProxyEnv)", () => {
  const proxyEnv = { http_proxy: "http://localhost:3128", HTTPS_PROXY: "http://127.0.0.1:3129", no_proxy: "localhost,.internal" };
  const plan = planBoot(testConfig({}), { ...host, proxyEnv }, testPaths);
  const user = plan.cidata["user-data"] ?? "";
  assert.match(user, /http_proxy=http:\/\/192\.168\.5\.2:3128/);
  assert.match(user, /Acquire::https::Proxy "http:\/\/192\.168\.5\.2:3129";/);
  assert.deepEqual(planBoot(testConfig({ propagateProxyEnv: false }), { ...host, proxyEnv }, testPaths).cidata, planBoot(testConfig({}), host, testPaths).cidata, "propagateProxyEnv: false: the cidata of a host without proxies");
  assertGolden("kernel-proxy", plan);
});

test("golden boot plan: a user-v2 network: a NIC whose socket the switch connects to, its networkd files, the networks step", () => {
  const config = testConfig({ networks: [{ lima: "user-v2", interface: "lima0", metric: 100 }] });
  const network = { name: "user-v2", gateway: "192.168.104.1", netmask: "255.255.255.0" };
  const plan = planBoot(config, { ...host, networks: { "user-v2": network } }, testPaths);
  assert.deepEqual(plan.nics.map((n) => [n.interface, n.socket, n.slot, n.network.name]), [["lima0", `${testPaths.dir}/net1.sock`, 0x10, "user-v2"]]);
  assert.match(plan.cidata["user-data"] ?? "", /05-tslima-lima0\.link[\s\S]*Path=pci-0000:00:10\.0/);
  assert.match(plan.cidata["network-config"] ?? "", /lima0:\s+match:\s+macaddress: "?52:55:55/);
  const kinds = plan.launch.readiness.map((s) => s.kind);
  assert.ok(kinds.indexOf("networks") > kinds.indexOf("ready-file") && kinds.indexOf("networks") < kinds.indexOf("sync"), kinds.join(" "));
  assert.deepEqual(planBoot(config, host, testPaths).nics, [], "a network gather found no definition of gets no NIC (gather refuses the start first)");
  assertGolden("kernel-user-v2", plan);
});

test("hostResolver: the agent's port goes into the cidata's bootcmd (the drop-in a light boot keeps); off, nothing", () => {
  const on = planBoot(testConfig({}), { ...host, hostResolverPort: 45123 }, testPaths).cidata["user-data"] ?? "";
  assert.match(on, /tslima-host-resolver\.conf/);
  assert.match(on, /DNS=192\.168\.5\.2:45123/);
  const off = planBoot(testConfig({ hostResolver: { enabled: false, ipv6: false, hosts: {} } }), { ...host, hostResolverPort: 45123 }, testPaths).cidata["user-data"] ?? "";
  assert.doesNotMatch(off, /tslima-host-resolver/);
});

test("golden boot plan: containerd.system: the fetched archive goes on the cidata as nerdctl-full.tgz", () => {
  const containerd = { system: true, user: false, archives: [{ location: "https://example.org/nerdctl-full.tgz", arch: "x86_64" as const }] };
  const containerdArchive = { path: "/home/alice/.tslima/_cache/download/by-url-sha256/ab/data", digest: `sha256:${"a".repeat(64)}` };
  const plan = planBoot(testConfig({ containerd }), { ...host, containerdArchive }, testPaths);
  assert.deepEqual(plan.cidataHostFiles, { "nerdctl-full.tgz": containerdArchive.path });
  assert.equal(planBoot(testConfig({ containerd }), host, testPaths).cidataHostFiles, undefined, "no archive could be had: none on the cidata");
  assertGolden("kernel-containerd", plan);
});

test("readiness steps: order and fatality follow the config", () => {
  const kinds = (c: Partial<Config>) => planBoot(testConfig(c), host, testPaths).launch.readiness.map((s) => `${s.kind}${s.fatal ? "" : "?"}`);
  // the last step writes the guest's file systems to disk (issue 31): a crash after READY loses nothing
  assert.deepEqual(kinds({}), ["ssh", "ready-file", "host-resolver?", "sync?"]);
  assert.deepEqual(kinds({ hostResolver: { enabled: false, ipv6: false, hosts: {} } }), ["ssh", "ready-file", "sync?"]);
  assert.deepEqual(kinds(withEverything), ["ssh", "ready-file", "host-resolver?", "provision-report?", "mounts", "probe", "sync?"]);
  assert.deepEqual(kinds({ mountType: "reverse-sshfs", mounts: [testMount("/x")] }), ["ssh", "ready-file", "host-resolver?", "reverse-sshfs", "mounts", "sync?"]);
  const probe = planBoot(testConfig(withEverything), host, testPaths).launch.readiness.find((s) => s.kind === "probe");
  assert.deepEqual(probe?.kind === "probe" && probe.interpreter, ["/bin/bash"]);
});

test("planBoot refuses virtiofs that cannot be served on this host, naming the fix", () => {
  const config = testConfig({ mountType: "virtiofs", mounts: [testMount("/src")] });
  assert.throws(() => planBoot(config, host, testPaths), (e) => isTslimaError(e) && e.code === "ERR_TSLIMA_MOUNT_NO_VIRTIOFSD" && /install virtiofsd/.test(e.hint ?? ""));
});

test("light boot: the same cidata as at the last READY switches cloud-init off on the kernel command line", () => {
  const config = testConfig(withEverything);
  const full = planBoot(config, host, testPaths);
  assert.equal(full.cloudInit.cloudInit, "full");
  assert.match(full.cloudInit.cidata, /^sha256:[0-9a-f]{64}$/);
  const light = planBoot(config, { ...host, readyCidata: full.cloudInit.cidata }, testPaths);
  assert.equal(light.cloudInit.cloudInit, "light");
  assert.equal(light.cloudInit.cidata, full.cloudInit.cidata);
  const append = (p: BootPlan) => p.qemu.argv[p.qemu.argv.indexOf("-append") + 1];
  assert.equal(append(light), `${kernelImage.cmdline} cloud-init=disabled`);
  assert.equal(append(full), kernelImage.cmdline);
  assert.deepEqual(light.cidata, full.cidata, "the guest gets the same cidata either way");
  const ready = light.launch.readiness.find((s) => s.kind === "ready-file");
  assert.ok(ready?.kind === "ready-file" && /tslima-boot\.service/.test(ready.script) && /light-failed/.test(ready.script));
  assert.deepEqual(light.launch.readiness.map((s) => s.kind), full.launch.readiness.map((s) => s.kind), "the same readiness steps: mounts and probes are checked as on a full boot");
  // a changed cidata, a fresh disk, a firmware boot: full
  const changed = testConfig({ ...withEverything, env: { NEW: "1" } });
  assert.equal(planBoot(changed, { ...host, readyCidata: full.cloudInit.cidata }, testPaths).cloudInit.cloudInit, "full");
  assert.equal(planBoot(config, { ...host, readyCidata: full.cloudInit.cidata, freshDisk: true }, testPaths).cloudInit.cloudInit, "full");
  const uefi = { ...host, image: { disk: kernelImage.disk, diskFormat: "qcow2" as const, location: "https://example.org/debian-12.qcow2" } };
  const uefiDigest = planBoot(config, uefi, testPaths).cloudInit.cidata;
  assert.equal(planBoot(config, { ...uefi, readyCidata: uefiDigest }, testPaths).cloudInit.cloudInit, "full");
});

const diffdisk: FileIdentity = { size: 1 << 20, mtimeNs: "1764547200000000000", ino: "42", dev: "2049", headSha256: "0".repeat(64) };

/** A suspend of the plan's own boot: the record a resume of it compares with, and the files as they are. */
function savedState(boot: BootPlan, changes: Partial<SavedState> = {}, record: Partial<SuspendRecord> = {}): SavedState {
  const saved: SuspendRecord = {
    version: SUSPEND_RECORD_VERSION,
    savedAt: "2026-12-01T00:00:00.000Z",
    qemu: { binary: host.qemu.binary, version: host.qemu.version },
    argv: hardwareArgv(boot.qemu.argv, testPaths),
    sshPort: 60022,
    stateBytes: 300_000_000,
    disks: { diffdisk },
    ...record,
  };
  return { saved: { record: saved }, disks: { diffdisk }, stateBytes: saved.stateBytes, cidataPresent: true, identityDue: false, ...changes };
}

test("golden resume plan: QEMU takes the saved state (-incoming defer), the guest's cidata is kept, the resume's readiness steps, a boot as fallback", () => {
  const config = testConfig(withEverything);
  const boot = planBoot(config, host, testPaths);
  assert.equal(boot.launch.variant, "boot", "nothing saved: a boot");
  const plan = planBoot(config, { ...host, savedState: savedState(boot) }, testPaths);
  assert.equal(plan.launch.variant, "resume");
  if (plan.launch.variant !== "resume") return;
  // the boot's command line, with a resumed VM's smaller TCG translation cache (qemu/argv.ts)
  assert.deepEqual(plan.launch.argv, [...boot.qemu.argv.map((a) => a.replace("tb-size=512", "tb-size=64")), "-incoming", "defer"]);
  assert.equal(plan.launch.writeCidata, false, "the resumed guest read its cidata when it booted");
  assert.deepEqual(plan.launch.fallback, boot.launch, "a state QEMU cannot load: this boot instead");
  assert.deepEqual(plan.launch.readiness.map((s) => s.kind), ["ssh", "clock", "host-resolver", "remount", "mounts"]);
  assertGolden("resume-kernel-9p", plan);
});

test("a state saved by a tslima whose record kept TCG's cache size (tb-size=512) still resumes", () => {
  const config = testConfig(withEverything);
  const boot = planBoot(config, host, testPaths);
  const older = hardwareArgv(boot.qemu.argv, testPaths).map((a) => a.replace("tb-size=N", "tb-size=512"));
  assert.ok(older.includes("tcg,thread=multi,tb-size=512"));
  assert.equal(planBoot(config, { ...host, savedState: savedState(boot, {}, { argv: older }) }, testPaths).launch.variant, "resume");
  const otherMemory = older.map((a) => (a === "1024" ? "2048" : a));
  assert.notDeepEqual(otherMemory, older);
  assert.equal(planBoot(config, { ...host, savedState: savedState(boot, {}, { argv: otherMemory }) }, testPaths).launch.variant, "boot");
});

test("resume plan of an instance made from a booted snapshot: no cidata yet, its own identity due, the snapshot's key pinned first", () => {
  const config = testConfig(withEverything);
  const boot = planBoot(config, host, testPaths);
  const plan = planBoot(config, { ...host, savedState: savedState(boot, { cidataPresent: false, identityDue: true }) }, testPaths);
  assert.ok(plan.launch.variant === "resume");
  assert.equal(plan.launch.writeCidata, true);
  assert.equal(plan.launch.pinSnapshotKey, true);
  assert.deepEqual(plan.launch.readiness.map((s) => s.kind), ["ssh", "clock", "reidentify", "host-resolver", "remount", "mounts"]);
  assert.deepEqual(plan.launch.fallback.readiness.slice(-2).map((s) => s.kind), ["reidentify", "sync"], "its fallback boot reidentifies before the closing sync");
  // a cold boot (nothing saved) of such an instance: the identity is still due
  const cold = planBoot(config, { ...host, savedState: { ...savedState(boot, { identityDue: true }), saved: undefined } }, testPaths);
  assert.deepEqual(cold.launch.variant === "boot" && cold.launch.readiness.slice(-2).map((s) => s.kind), ["reidentify", "sync"]);
});

test("a saved state that may not be restored: a boot, saying why (the state is discarded)", () => {
  const config = testConfig(withEverything);
  const boot = planBoot(config, host, testPaths);
  const why = (changes: Partial<SavedState>, record: Partial<SuspendRecord> = {}) => {
    const plan = planBoot(config, { ...host, savedState: savedState(boot, changes, record) }, testPaths);
    assert.equal(plan.launch.variant, "boot");
    return plan.launch.variant === "boot" ? (plan.launch.notResumed ?? "") : "";
  };
  assert.match(why({ stateBytes: undefined }), /state file is missing/);
  assert.match(why({ stateBytes: 1000 }), /incomplete/);
  assert.match(why({}, { qemu: { binary: host.qemu.binary, version: "7.1.0" } }), /QEMU changed/);
  assert.match(why({ disks: { diffdisk: { ...diffdisk, ino: "43" } } }), /diffdisk was replaced/);
  assert.match(why({ saved: { problem: "not JSON" } }), /the suspend record is unusable \(not JSON\)/);
  assert.match(why({}, { argv: ["-m", "512"] }), /./, "another command line");
  const noneSaved = planBoot(config, { ...host, savedState: { ...savedState(boot), saved: undefined } }, testPaths);
  assert.deepEqual(noneSaved.launch, boot.launch, "nothing saved: a plain boot, nothing to say");
});

test("virtiofsd is looked for only for virtiofs mounts; docker socket, message and inotify mounts come from the config", () => {
  assert.equal(needsVirtiofsd(testConfig({ mountType: "virtiofs", mounts: [testMount("/src")] })), true);
  assert.equal(needsVirtiofsd(testConfig({ mountType: "virtiofs", mounts: [] })), false);
  assert.equal(needsVirtiofsd(testConfig({ mountType: "9p", mounts: [testMount("/src")] })), false);
  const plain = planBoot(testConfig(withEverything), host, testPaths);
  assert.deepEqual([plain.dockerSocket, plain.instanceMessage, plain.inotify], [undefined, undefined, undefined]);
  const config = testConfig({ ...withEverything, mountInotify: true, message: "hello", mounts: [testMount("/home/alice/src", { writable: true }), testMount("/home/alice/ro")] });
  const plan = planBoot(config, host, testPaths);
  assert.equal(plan.instanceMessage, "hello");
  assert.deepEqual(plan.inotify?.map((m) => m.location), ["/home/alice/src"], "the writable mounts only");
});

test("tpm: true starts swtpm before the mount daemons, waiting for its socket; video.display vnc gives the agent its VNC server", () => {
  const virtiofsd = { binary: "/usr/libexec/virtiofsd", flavor: "rust" as const, readonlyFlag: true, needsRoot: false };
  const config = testConfig({ mountType: "virtiofs", mounts: [testMount("/home/alice/src")], extra: { tpm: true, video: { display: "vnc" } } });
  const plan = planBoot(config, { ...host, virtiofsd }, testPaths);
  assert.deepEqual(plan.daemons.map((d) => d.command), ["swtpm", "/usr/libexec/virtiofsd"]);
  assert.equal(plan.daemons[0]?.socket, join(testPaths.dir, "swtpm.sock"));
  assert.match(plan.daemons[0]?.hint ?? "", /apt-get install swtpm/);
  assert.equal(plan.tpm, true);
  assert.deepEqual(plan.vnc, { host: "127.0.0.1", display: 0, to: 9, notes: [] });
  const plain = planBoot(testConfig({}), host, testPaths);
  assert.equal(plain.tpm, undefined);
  assert.equal(plain.vnc, undefined);
});

test("copyToHost: the plan carries its rules and changes nothing else of the boot (the copies run after the readiness steps)", () => {
  const copyToHost = [{ guest: "/etc/rancher/k3s/k3s.yaml", host: `${testPaths.dir}/copied-from-guest/kubeconfig.yaml`, skipIfMissing: true, deleteOnStop: true }];
  const { copyToHost: planned, ...rest } = planBoot(testConfig({ ...withEverything, extra: { copyToHost } }), host, testPaths);
  assert.deepEqual(planned, copyToHost);
  assert.deepEqual(rest, planBoot(testConfig(withEverything), host, testPaths));
  assert.equal(planBoot(testConfig({ extra: { copyToHost: [] } }), host, testPaths).copyToHost, undefined);
  assert.throws(() => planBoot(testConfig({ extra: { copyToHost: [{ guest: "/x", host: testPaths.sshConfig }] } }), host, testPaths), /among tslima's own files/);
});
