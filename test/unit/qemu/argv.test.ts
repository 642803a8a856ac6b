import { test } from "node:test";
import assert from "node:assert/strict";
import { qemuArgv, macAddress, memoryMiB, cpuModel, incomingArgv, hardwareArgv, saveStateUri, loadStateUri } from "../../../src/qemu/index.js";
import { instancePaths } from "../../../src/store/paths.js";
import type { MountPlan } from "../../../src/mounts/types.js";
import { isTslimaError } from "../../../src/errors.js";
import { linuxPaths, macHost, macPaths, sampleConfig, samplePlan } from "./sample.js";
import { assertGolden } from "./golden.js";

const kernelImage = {
  disk: "/root/.cache/tslima/build/debian-12/disk.qcow2",
  diskFormat: "qcow2" as const,
  kernel: "/home/alice/.tslima/default/kernel",
  initrd: "/home/alice/.tslima/default/initrd",
  cmdline: "root=LABEL=tslima-root ro console=tty0 console=ttyS0,115200n8",
  location: "build:debian-12",
};

/** A mount plan as the mounts planner would hand it over (its contents are opaque to qemuArgv). */
const mountsWithVirtiofs: MountPlan = {
  qemuArgs: ["-object", "memory-backend-file,id=virtiofs-shm,size=1024M,mem-path=/dev/shm,share=on", "-numa", "node,memdev=virtiofs-shm"],
  mounts: [
    {
      mount: sampleConfig().mounts[0] ?? ({} as never),
      type: "virtiofs",
      tag: "lima-0123456789abcdef",
      qemuArgs: ["-chardev", "socket,id=char-virtiofs-0,path=/home/alice/.tslima/default/virtiofsd-0.sock", "-device", "vhost-user-fs-pci,queue-size=1024,chardev=char-virtiofs-0,tag=lima-0123456789abcdef"],
      daemons: [],
      expect: { mountPoint: "/home/alice", fstype: "virtiofs", options: [] },
      createLocation: false,
    },
  ],
};

test("golden: Linux x86_64, kvm, UEFI", () => {
  assertGolden("linux-x86_64-kvm-uefi", qemuArgv(sampleConfig({ cpus: 2, memory: "4GiB" }), linuxPaths, samplePlan()));
});

test("golden: Linux x86_64, tcg, UEFI", () => {
  const plan = samplePlan();
  plan.qemu = { ...plan.qemu, accel: "tcg", accelWarning: "using TCG" };
  assertGolden("linux-x86_64-tcg-uefi", qemuArgv(sampleConfig(), linuxPaths, plan));
});

test("golden: Linux x86_64, tcg, direct kernel boot with virtiofs mount args", () => {
  const plan = samplePlan({ image: kernelImage, mounts: mountsWithVirtiofs });
  plan.qemu = { binary: "/usr/bin/qemu-system-x86_64", version: "7.2.22", accel: "tcg" };
  assertGolden("linux-x86_64-tcg-kernel", qemuArgv(sampleConfig(), linuxPaths, plan));
});

test("golden: Linux x86_64, kvm, direct kernel boot", () => {
  assertGolden("linux-x86_64-kvm-kernel", qemuArgv(sampleConfig({ cpus: 4, memory: "2GiB" }), linuxPaths, samplePlan({ image: kernelImage })));
});

test("golden: macOS aarch64, hvf, UEFI from Homebrew", () => {
  const plan = samplePlan({
    host: macHost,
    qemu: {
      binary: "/opt/homebrew/bin/qemu-system-aarch64",
      version: "9.2.0",
      accel: "hvf",
      firmware: { code: "/opt/homebrew/share/qemu/edk2-aarch64-code.fd", vars: "/opt/homebrew/share/qemu/edk2-arm-vars.fd" },
    },
    image: { disk: "/Users/alice/.tslima/default/basedisk", diskFormat: "qcow2", location: "https://example.org/debian-12-arm64.qcow2" },
  });
  assertGolden("darwin-aarch64-hvf-uefi", qemuArgv(sampleConfig({ arch: "aarch64", cpus: 4, memory: "4GiB" }), macPaths, plan));
});

/** An aarch64 guest emulated on an x86_64 Linux host: qemu-system-aarch64 from qemu-system-arm, AAVMF from qemu-efi-aarch64. */
const emulatedArm = {
  binary: "/usr/bin/qemu-system-aarch64",
  version: "7.2.22",
  accel: "tcg" as const,
  firmware: { code: "/usr/share/AAVMF/AAVMF_CODE.fd", vars: "/usr/share/AAVMF/AAVMF_VARS.fd" },
};

test("golden: Linux x86_64 host, emulated aarch64 guest, tcg, direct kernel boot", () => {
  const image = {
    ...kernelImage,
    disk: "/root/.cache/tslima/build/debian-12-aarch64/disk.qcow2",
    cmdline: "root=LABEL=tslima-root ro console=tty0 console=ttyAMA0,115200n8",
  };
  const plan = samplePlan({ image });
  plan.qemu = emulatedArm;
  assertGolden("linux-x86_64-host-aarch64-tcg-kernel", qemuArgv(sampleConfig({ arch: "aarch64", cpus: 2, memory: "2GiB" }), linuxPaths, plan));
});

test("golden: Linux x86_64 host, emulated aarch64 guest, tcg, UEFI (AAVMF)", () => {
  const plan = samplePlan();
  plan.qemu = emulatedArm;
  assertGolden("linux-x86_64-host-aarch64-tcg-uefi", qemuArgv(sampleConfig({ arch: "aarch64", cpus: 2, memory: "2GiB" }), linuxPaths, plan));
});

test("emulated aarch64 without UEFI firmware: FIRMWARE_MISSING naming qemu-efi-aarch64", () => {
  const plan = samplePlan();
  plan.qemu = { binary: emulatedArm.binary, version: emulatedArm.version, accel: "tcg" };
  assert.throws(
    () => qemuArgv(sampleConfig({ arch: "aarch64" }), linuxPaths, plan),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_FIRMWARE_MISSING" && /apt-get install qemu-efi-aarch64/.test(e.hint ?? ""),
  );
});

function valueAfter(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1] ?? ""] : []));
}

test("UEFI: code read-only from the firmware, variables from the instance copy", () => {
  const drives = valueAfter(qemuArgv(sampleConfig(), linuxPaths, samplePlan()), "-drive").filter((d) => d.startsWith("if=pflash"));
  assert.equal(drives.length, 2);
  assert.match(drives[0] ?? "", /readonly=on,file=\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd$/);
  assert.match(drives[1] ?? "", /file=\/home\/alice\/\.tslima\/default\/efi-vars\.fd$/);
  assert.doesNotMatch(drives[1] ?? "", /readonly/);
});

test("direct kernel boot has no firmware, and passes kernel, initrd and cmdline", () => {
  const argv = qemuArgv(sampleConfig(), linuxPaths, samplePlan({ image: kernelImage }));
  assert.ok(!argv.some((a) => a.includes("pflash")));
  assert.deepEqual(valueAfter(argv, "-kernel"), [kernelImage.kernel]);
  assert.deepEqual(valueAfter(argv, "-initrd"), [kernelImage.initrd]);
  assert.deepEqual(valueAfter(argv, "-append"), [kernelImage.cmdline]);
});

test("legacyBIOS on x86_64 uses no pflash and needs no firmware", () => {
  const plan = samplePlan();
  delete plan.qemu.firmware;
  const argv = qemuArgv(sampleConfig({ firmware: { legacyBIOS: true } }), linuxPaths, plan);
  assert.ok(!argv.some((a) => a.includes("pflash")));
});

test("missing UEFI firmware is a TslimaError naming the fix", () => {
  const plan = samplePlan();
  delete plan.qemu.firmware;
  assert.throws(
    () => qemuArgv(sampleConfig(), linuxPaths, plan),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_FIRMWARE_MISSING" && /ovmf/.test(e.hint ?? "") && /legacyBIOS/.test(e.hint ?? ""),
  );
});

test("tcg: -accel with multi-threading and a bounded translation cache, cpu max", () => {
  const plan = samplePlan();
  plan.qemu.accel = "tcg";
  const argv = qemuArgv(sampleConfig(), linuxPaths, plan);
  assert.deepEqual(valueAfter(argv, "-machine"), ["q35"]);
  assert.deepEqual(valueAfter(argv, "-accel"), ["tcg,thread=multi,tb-size=512"]);
  assert.deepEqual(valueAfter(argv, "-cpu"), ["max"]);
});

test("aarch64 under tcg and kvm: virt machine with a GIC per accelerator", () => {
  const cfg = sampleConfig({ arch: "aarch64" });
  const tcgPlan = samplePlan();
  tcgPlan.qemu.accel = "tcg";
  assert.deepEqual(valueAfter(qemuArgv(cfg, linuxPaths, tcgPlan), "-machine"), ["virt,gic-version=max"]);
  assert.deepEqual(valueAfter(qemuArgv(cfg, linuxPaths, samplePlan()), "-machine"), ["virt,accel=kvm,gic-version=host"]);
  assert.deepEqual(valueAfter(qemuArgv(cfg, linuxPaths, samplePlan()), "-cpu"), ["host"]);
  assert.deepEqual(valueAfter(qemuArgv(cfg, linuxPaths, tcgPlan), "-cpu"), ["cortex-a76"]);
  assert.deepEqual(valueAfter(qemuArgv(cfg, linuxPaths, tcgPlan), "-accel"), ["tcg,thread=multi,tb-size=512"]);
});

test("unsupported arch is a clear error", () => {
  assert.throws(() => qemuArgv(sampleConfig({ arch: "riscv64" }), linuxPaths, samplePlan()), (e: unknown) => isTslimaError(e) && /riscv64/.test(e.message));
});

test("cpuType from vmOpts.qemu.cpuType (Lima 2) wins over the older top-level cpuType, per arch", () => {
  const both = sampleConfig({ extra: { vmOpts: { qemu: { cpuType: { x86_64: "Haswell-v4" } } }, cpuType: { x86_64: "qemu64" } } });
  assert.equal(cpuModel(both, "kvm"), "Haswell-v4");
  assert.equal(cpuModel(sampleConfig({ extra: { cpuType: { x86_64: "qemu64", aarch64: "cortex-a72" } } }), "tcg"), "qemu64");
  assert.equal(cpuModel(sampleConfig({ extra: { cpuType: { aarch64: "cortex-a72" } } }), "tcg"), "max");
  assert.equal(cpuModel(sampleConfig({ arch: "aarch64", extra: { cpuType: { aarch64: "cortex-a72" } } }), "tcg"), "cortex-a72");
  assert.equal(cpuModel(sampleConfig({ extra: { cpuType: { x86_64: "" } } }), "hvf"), "host");
  assert.equal(cpuModel(sampleConfig({ extra: { vmOpts: "nonsense" } }), "kvm"), "host");
});

test("memory in MiB from Lima size strings; nonsense and tiny sizes are errors", () => {
  assert.equal(memoryMiB("4GiB"), 4096);
  assert.equal(memoryMiB("1g"), 1024);
  assert.equal(memoryMiB("1536MiB"), 1536);
  assert.equal(memoryMiB("0.5GiB"), 512);
  assert.throws(() => memoryMiB("lots"), (e: unknown) => isTslimaError(e) && /memory/.test(e.message));
  assert.throws(() => memoryMiB("16MiB"), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_CONFIG_MEMORY");
});

test("smp: one socket with N cores", () => {
  assert.deepEqual(valueAfter(qemuArgv(sampleConfig({ cpus: 3 }), linuxPaths, samplePlan()), "-smp"), ["3,sockets=1,cores=3,threads=1"]);
});

test("MAC: Lima's 52:55:55 prefix, stable per name, different between names", () => {
  assert.match(macAddress("default"), /^52:55:55(:[0-9a-f]{2}){3}$/);
  assert.equal(macAddress("default"), macAddress("default"));
  assert.notEqual(macAddress("default"), macAddress("other"));
});

test("network: ssh forwarded from 127.0.0.1 only, Lima's 192.168.5.0/24 with the guest at .15", () => {
  const argv = qemuArgv(sampleConfig(), linuxPaths, samplePlan({ sshPort: 2222 }));
  assert.deepEqual(valueAfter(argv, "-netdev"), ["user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:2222-:22"]);
  assert.throws(() => qemuArgv(sampleConfig(), linuxPaths, samplePlan({ sshPort: 0 })), (e: unknown) => isTslimaError(e) && /ssh\.localPort/.test(e.hint ?? ""));
});

test("paths with commas are escaped for QEMU's option syntax; plain arguments are not", () => {
  const paths = instancePaths("/home/a,b/.tslima", "x");
  const argv = qemuArgv(sampleConfig(), paths, samplePlan());
  assert.ok(argv.includes("file=/home/a,,b/.tslima/x/diffdisk,if=none,id=disk0,format=qcow2,discard=unmap,detect-zeroes=unmap,cache=writeback"));
  assert.ok(argv.includes("file,id=serial0,path=/home/a,,b/.tslima/x/serial.log"));
  assert.deepEqual(valueAfter(argv, "-pidfile"), ["/home/a,b/.tslima/x/qemu.pid"]);
});

test("a QMP socket path longer than a unix socket allows is refused with a hint", () => {
  const paths = instancePaths(`/tmp/${"d".repeat(100)}`, "default");
  assert.throws(() => qemuArgv(sampleConfig(), paths, samplePlan()), (e: unknown) => isTslimaError(e) && /TSLIMA_HOME/.test(e.hint ?? ""));
});

test("mount arguments come last: shared ones, then each mount's, in plan order", () => {
  const argv = qemuArgv(sampleConfig(), linuxPaths, samplePlan({ mounts: mountsWithVirtiofs }));
  const tail = [...mountsWithVirtiofs.qemuArgs, ...(mountsWithVirtiofs.mounts[0]?.qemuArgs ?? [])];
  assert.deepEqual(argv.slice(-tail.length), tail);
});

test("vmgenid: an x86_64 machine has the instance's VM generation id device; aarch64's virt machine has none in QEMU 7.2", () => {
  const argv = qemuArgv(sampleConfig(), linuxPaths, samplePlan({ vmgenid: "0f6f5e3c-2c9b-4d2e-9a51-7c1d3b2a4e10" }));
  const i = argv.indexOf("vmgenid,guid=0f6f5e3c-2c9b-4d2e-9a51-7c1d3b2a4e10");
  assert.ok(i > 0 && argv[i - 1] === "-device", argv.join(" "));
  assert.ok(!qemuArgv(sampleConfig(), linuxPaths, samplePlan({ vmgenid: undefined })).some((a) => a.startsWith("vmgenid")));
  const arm = qemuArgv(sampleConfig({ arch: "aarch64" }), macPaths, samplePlan({ host: macHost, qemu: { binary: "qemu-system-aarch64", version: "7.2.22", accel: "hvf", firmware: { code: "c", vars: "v" } } }));
  assert.ok(!arm.some((a) => a.startsWith("vmgenid")), arm.join(" "));
});

test("incoming: the boot's argv plus -incoming defer; hardwareArgv ignores it, the ssh host port and the owner", () => {
  const argv = qemuArgv(sampleConfig(), linuxPaths, samplePlan());
  const hw = (a: string[], p = linuxPaths) => hardwareArgv(a, p);
  const incoming = incomingArgv(argv);
  assert.deepEqual(incoming.slice(0, argv.length), argv);
  assert.deepEqual(incoming.slice(argv.length), ["-incoming", "defer"]);
  assert.deepEqual(hw(incoming), hw(argv));
  const otherPort = qemuArgv(sampleConfig(), linuxPaths, samplePlan({ sshPort: 61000 }));
  assert.notDeepEqual(otherPort, argv);
  assert.deepEqual(hw(otherPort), hw(argv));
  const otherMemory = qemuArgv(sampleConfig({ memory: "2GiB" }), linuxPaths, samplePlan());
  assert.notDeepEqual(hw(otherMemory), hw(argv));
  // another instance (a clone of a booted snapshot): its own name, directory and MAC compare equal
  for (const clone of [instancePaths("/srv/other home", "clone-1"), instancePaths("/home/a,b/.tslima", "x")]) {
    const cloneArgv = qemuArgv(sampleConfig(), clone, samplePlan());
    assert.ok(cloneArgv.some((a) => a.includes(macAddress("clone-1")) || a.includes(macAddress("x"))));
    assert.deepEqual(hw(cloneArgv, clone), hw(argv));
    assert.ok(!hw(cloneArgv, clone).some((a) => a.includes(clone.dir)), "no path of the owner is left");
  }
  // another VM generation id (each instance's own) is the same machine
  const otherId = qemuArgv(sampleConfig(), linuxPaths, samplePlan({ vmgenid: "11111111-2222-4333-8444-555555555555" }));
  assert.notDeepEqual(otherId, argv);
  assert.deepEqual(hw(otherId), hw(argv));
  assert.ok(hw(argv).includes("vmgenid,guid=GUID"));
  // but not a machine without the device
  assert.notDeepEqual(hw(qemuArgv(sampleConfig(), linuxPaths, samplePlan({ vmgenid: undefined }))), hw(argv));
  assert.equal(saveStateUri("/home/a b/vmstate.tmp"), "exec:umask 077 && cat > '/home/a b/vmstate.tmp'");
  assert.equal(loadStateUri("/home/it's/vmstate"), "exec:cat '/home/it'\\''s/vmstate'");
});

test("user-v2 NICs: QEMU listens on a socket in the instance directory, at a fixed PCI slot; a clone's own MAC compares equal", () => {
  const nic = (paths: typeof linuxPaths, mac: string) => ({ socket: `${paths.dir}/net1.sock`, mac, slot: 0x10 });
  const argv = qemuArgv(sampleConfig(), linuxPaths, samplePlan({ networks: [nic(linuxPaths, "52:55:55:aa:bb:cc")] }));
  const i = argv.indexOf(`stream,id=net1,server=on,addr.type=unix,addr.path=${linuxPaths.dir}/net1.sock`);
  assert.ok(i > 0 && argv[i - 1] === "-netdev", argv.join(" "));
  assert.equal(argv[i + 2], "virtio-net-pci,netdev=net1,mac=52:55:55:aa:bb:cc,addr=0x10");
  const clone = instancePaths("/srv/other", "clone-1");
  const cloneArgv = qemuArgv(sampleConfig(), clone, samplePlan({ networks: [nic(clone, "52:55:55:01:02:03")] }));
  assert.deepEqual(hardwareArgv(cloneArgv, clone), hardwareArgv(argv, linuxPaths));
  assert.notDeepEqual(hardwareArgv(qemuArgv(sampleConfig(), linuxPaths, samplePlan()), linuxPaths), hardwareArgv(argv, linuxPaths), "a machine without the NIC is another machine");
});

test("golden: a firmware.images code image: one read-only pflash, no variable store (as Lima)", () => {
  const plan = samplePlan();
  plan.qemu = { ...plan.qemu, accel: "tcg", firmware: { code: `${linuxPaths.dir}/qemu-efi-code.fd`, vars: "", codeOnly: true } };
  const argv = qemuArgv(sampleConfig(), linuxPaths, plan);
  assert.equal(argv.filter((a) => a.startsWith("if=pflash")).length, 1);
  assertGolden("linux-x86_64-tcg-user-firmware", argv);
});

test("TCG's translation cache: 512 MiB for a cold boot, 64 MiB for a resumed VM; hardwareArgv ignores its size", () => {
  const plan = samplePlan();
  plan.qemu = { ...plan.qemu, accel: "tcg" };
  const argv = qemuArgv(sampleConfig(), linuxPaths, plan);
  const incoming = incomingArgv(argv);
  const tcg = (a: string[]) => a[a.indexOf("-accel") + 1];
  assert.equal(tcg(argv), "tcg,thread=multi,tb-size=512");
  assert.equal(tcg(incoming), "tcg,thread=multi,tb-size=64");
  assert.deepEqual(incoming.filter((a) => !a.startsWith("tcg,")).slice(0, -2), argv.filter((a) => !a.startsWith("tcg,")));
  assert.deepEqual(hardwareArgv(incoming, linuxPaths), hardwareArgv(argv, linuxPaths));
  assert.ok(hardwareArgv(argv, linuxPaths).includes("tcg,thread=multi,tb-size=N"));
});
