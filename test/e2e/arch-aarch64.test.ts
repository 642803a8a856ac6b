/**
 * End to end, a guest of another architecture: the aarch64 build of Debian 12 (`tslima image build
 * debian-12 --arch aarch64`, made by scripts/setup through scripts/build-test-guest) boots emulated on
 * this x86_64 host under multi-threaded TCG (qemu-system-aarch64, `-machine virt`). Two boots, one after
 * the other (never two emulated VMs at once):
 * - the file's VM (FileGuest, booted through the library by direct kernel boot): the start says the
 *   guest is emulated, `info` lists aarch64 as emulated, `uname -m` prints aarch64, a virtiofs mount
 *   (virtiofsd sharing the virt machine's memfd RAM) works both ways, the system and user provisioning
 *   scripts ran, `doctor mounts` reports the mount, a static port forward reaches a guest listener,
 *   copy works, and `tslima stop` stops the VM cleanly;
 * - a second instance from the same disk whose `images:` entry has no kernel, started with `tslima
 *   start`: it boots through the AAVMF UEFI firmware (pflash, its own copy of the variable store) and
 *   systemd-boot until the serial console shows systemd running from the disk's root; the rest of
 *   that boot is the guest userland the first VM showed, so Ctrl-C stops it there (the instance is
 *   left Stopped, QEMU gone) and it is deleted.
 * Without the aarch64 image in the cache (a machine set up without `scripts/setup --tests`) every test
 * is skipped and says how to build it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Cli, FileGuest, guestYaml, parseList } from "./harness.js";
import { systemdFromRoot } from "./serial-facts.js";
import { buildCacheDir, buildImage, hostArch, isTslimaError, type AgentEvent } from "../../src/internal.js";

/** The cached aarch64 build, or why the file is skipped (a start would build it first, for 15-28 minutes). */
const built: Awaited<ReturnType<typeof buildImage>> | string = await buildImage({ name: "debian-12", arch: "aarch64", cacheDir: buildCacheDir(), prebuiltOnly: true }).catch(
  (e: unknown) => {
    if (isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_NOT_BUILT") {
      return `aarch64 ${e.message}: build it with \`scripts/setup --tests\` (or scripts/build-test-guest)`;
    }
    throw e;
  },
);
const skip = typeof built === "string" ? built : false;
if (skip) console.log(`# skipped: ${skip}`);

const NAME = "arm";
const EFI = "armefi";
const cli = new Cli("arch-aarch64");
const share = join(cli.root, "share");
const guest = new FileGuest(cli);
const bootEvents: AgentEvent[] = [];
/** An emulated boot on a shared 2-core machine: generous, never asserted on. */
const BOOT = { timeout: 40 * 60_000 };
const ARM_IMAGES = ["images:", '- location: "build:debian-12"', '  arch: "aarch64"'].join("\n");

/** The QEMU command line of a running instance, from its pid file. */
function qemuCmdline(name: string): string[] {
  const pid = readFileSync(join(cli.home, name, "qemu.pid"), "utf8").trim();
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
}

before(async () => {
  if (skip) return;
  mkdirSync(share, { recursive: true });
  const yaml = guestYaml(
    [
      'arch: "aarch64"',
      "mountType: virtiofs",
      "mounts:",
      `- location: ${JSON.stringify(share)}`,
      "  mountPoint: /mnt/share",
      "  writable: true",
      "portForwards:",
      "- guestPort: 8126",
      "  hostPort: 18126",
      "provision:",
      "- mode: system",
      "  script: |",
      "    #!/bin/sh",
      '    echo "system $(id -u) $(uname -m)" >/etc/tslima-arm-system',
      "- mode: user",
      "  script: |",
      "    #!/bin/sh",
      '    echo "user $(id -un) $(uname -m)" >"$HOME/arm-user"',
    ].join("\n"),
    { images: ARM_IMAGES, cpus: 1, memory: "1GiB" },
  );
  await guest.boot({ cold: true, reason: "an aarch64 guest (the base snapshot is x86_64)", name: NAME, yaml, timeoutMs: BOOT.timeout, onEvent: (e) => bootEvents.push(e) });
}, BOOT);
after(() => guest[Symbol.asyncDispose]());

test("the host is not aarch64, and the start said the guest is emulated", { skip }, () => {
  assert.notEqual(hostArch(), "aarch64", "this test proves emulation only on a host of another arch");
  const said = bootEvents.map((e) => (e.kind === "warning" ? e.warning : "")).join("\n");
  assert.match(said, /guest is aarch64 but the host is x86_64: it is emulated/);
});

test("uname -m in the guest prints aarch64", { skip }, async () => {
  const r = await cli.ok(["shell", NAME, "uname", "-m"]);
  assert.equal(r.stdout.trim(), "aarch64");
});

test("info lists aarch64 among the architectures this host can run, emulated", { skip }, async () => {
  const r = await cli.ok(["info"]);
  const arches = (JSON.parse(r.stdout) as { arches: Array<{ arch: string; binary: string; emulated: boolean }> }).arches;
  const arm = arches.find((a) => a.arch === "aarch64");
  assert.ok(arm, r.stdout);
  assert.match(arm.binary, /qemu-system-aarch64$/);
  assert.equal(arm.emulated, true);
  assert.equal(arches.find((a) => a.arch === hostArch())?.emulated, false, r.stdout);
});

test("QEMU is qemu-system-aarch64 with the virt machine under multi-threaded TCG, direct kernel boot, RAM shared with virtiofsd", { skip }, () => {
  const argv = qemuCmdline(NAME);
  assert.match(argv[0] ?? "", /qemu-system-aarch64$/);
  assert.ok(argv.some((a) => a.startsWith("virt,")), argv.join(" "));
  assert.ok(argv.some((a) => a.startsWith("tcg,thread=multi")), argv.join(" "));
  assert.ok(argv.includes("-kernel"), argv.join(" "));
  assert.ok(argv.some((a) => a.startsWith("memory-backend-memfd,") && a.includes("share=on")), argv.join(" "));
  assert.ok(argv.some((a) => a.startsWith("vhost-user-fs-pci,")), argv.join(" "));
});

test("virtiofs: the guest mounts the share and writes reach the other side both ways", { skip }, async () => {
  const mounts = (await cli.ok(["shell", NAME, "cat", "/proc/mounts"])).stdout;
  assert.match(mounts, /^\S+ \/mnt\/share virtiofs rw/m, mounts);
  // The share is the test root's directory (mode 755, owned by whoever runs the tests): guest root writes.
  await cli.ok(["shell", NAME, "sudo", "sh", "-c", "uname -m >/mnt/share/from-guest"]);
  assert.equal(readFileSync(join(share, "from-guest"), "utf8"), "aarch64\n");
  writeFileSync(join(share, "from-host"), "x86_64 host\n");
  const r = await cli.ok(["shell", NAME, "cat", "/mnt/share/from-host"]);
  assert.equal(r.stdout, "x86_64 host\n");
});

test("provision: the system script ran as root and the user script as the guest user", { skip }, async () => {
  const sys = await cli.ok(["shell", NAME, "cat", "/etc/tslima-arm-system"]);
  assert.equal(sys.stdout.trim(), "system 0 aarch64");
  const user = await cli.ok(["shell", NAME, "sh", "-c", 'cat "$HOME/arm-user"; id -un']);
  const [line, who] = user.stdout.trim().split("\n");
  assert.notEqual(who, "root");
  assert.equal(line, `user ${who} aarch64`);
});

test("doctor mounts names the virtiofs mount and finds it writable", { skip }, async () => {
  const r = await cli.run(["doctor", "mounts", NAME], { timeoutMs: 30 * 60_000 });
  console.log(`# tslima doctor mounts ${NAME} (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const row = r.stdout.split("\n").find((l) => l.startsWith("/mnt/share "));
  assert.ok(row, r.stdout);
  assert.match(row, /^\/mnt\/share\s+virtiofs\s+rw\s+ok\b/, "the write check passed");
  assert.ok(r.stdout.includes(`/mnt/share (${share}): virtiofs `), r.stdout);
  assert.match(r.stdout, /guest: virtiofs rw/);
});

test("a static port forward reaches a listener in the guest", { skip }, async () => {
  const script = `mkdir -p /tmp/www && echo "hello from aarch64" >/tmp/www/hello.txt && cd /tmp/www &&
    nohup python3 -m http.server 8126 --bind 127.0.0.1 </dev/null >/tmp/http.log 2>&1 & echo started`;
  await cli.ok(["shell", NAME, "sh", "-c", script]);
  let body: string | undefined;
  for (let i = 0; i < 300 && body === undefined; i++) {
    try {
      const res = await fetch("http://127.0.0.1:18126/hello.txt", { signal: AbortSignal.timeout(5000) });
      if (res.ok) body = await res.text();
    } catch {
      // not yet listening
    }
    if (body === undefined) await sleep(1000);
  }
  assert.equal(body, "hello from aarch64\n");
});

test("copy: a file into the guest and back out", { skip }, async () => {
  const src = join(cli.root, "in.txt");
  writeFileSync(src, "from the x86_64 host\n");
  await cli.ok(["copy", src, `${NAME}:/tmp/in.txt`]);
  await cli.ok(["shell", NAME, "sh", "-c", "uname -m >>/tmp/in.txt"]);
  const out = join(cli.root, "out.txt");
  await cli.ok(["copy", `${NAME}:/tmp/in.txt`, out]);
  assert.equal(readFileSync(out, "utf8"), "from the x86_64 host\naarch64\n");
});

test("stop: the emulated VM powers off cleanly", { skip }, async () => {
  await cli.ok(["stop", NAME], { timeoutMs: 10 * 60_000 });
  const r = await cli.ok(["list", "--json", NAME]);
  assert.equal(String(parseList(r.stdout)[0]?.status), "Stopped");
  assert.doesNotMatch(readFileSync(join(cli.home, NAME, "ha.stderr.log"), "utf8"), /did not halt in time/, "the guest halted, qemu was not terminated");
  assert.match(readFileSync(join(cli.home, NAME, "serial.log"), "utf8"), /reboot: Power down/, "the aarch64 kernel powered off");
});

test("UEFI: `tslima start` of an images entry without kernel boots the same disk through AAVMF to systemd on its root; Ctrl-C stops it; delete", { skip, timeout: BOOT.timeout + 120_000 }, async (t) => {
  if (typeof built === "string") return;
  const images = ["images:", `- location: ${JSON.stringify(built.disk)}`, '  arch: "aarch64"'].join("\n");
  const yaml = cli.file(`${EFI}.yaml`, guestYaml(`arch: "aarch64"`, { images, cpus: 1, memory: "1GiB" }));
  t.after(() => cli.run(["delete", "--force", EFI]));
  const started = Date.now();
  let pid = 0;
  const running = cli.run(["start", "--name", EFI, "--timeout", "40m", yaml], { timeoutMs: BOOT.timeout + 60_000, onSpawn: (p) => (pid = p) });
  // The rest of this boot (cloud-init, sshd, READY) is the guest userland the direct boot above
  // already showed: this one stops once the firmware path has handed the disk's root to systemd.
  const serial = join(cli.home, EFI, "serial.log");
  let finished = false;
  void running.then(() => (finished = true));
  let log = "";
  while (!finished && Date.now() - started < BOOT.timeout && !systemdFromRoot(log)) {
    await sleep(2000);
    log = existsSync(serial) ? readFileSync(serial, "utf8") : "";
  }
  console.log(`# ${EFI} (UEFI): systemd on the disk's root after ${Math.round((Date.now() - started) / 1000)} s of \`tslima start\``);
  assert.ok(systemdFromRoot(log), `the serial log shows no systemd from the disk's root:\n${log.slice(-3000)}\n${finished ? (await running).stderr : ""}`);

  const argv = qemuCmdline(EFI);
  assert.match(argv[0] ?? "", /qemu-system-aarch64$/);
  assert.equal(argv.includes("-kernel"), false, argv.join(" "));
  const vars = join(cli.home, EFI, "efi-vars.fd");
  assert.ok(argv.some((a) => /^if=pflash,.*unit=0,readonly=on,file=.*AAVMF_CODE.*\.fd$/.test(a)), argv.join(" "));
  assert.ok(argv.includes(`if=pflash,format=raw,unit=1,file=${vars}`), argv.join(" "));
  assert.ok(existsSync(vars));
  assert.match(log, /EFI stub: Booting Linux Kernel/, "the kernel was started by the firmware (EFI stub)");

  const qemuPid = Number(readFileSync(join(cli.home, EFI, "qemu.pid"), "utf8").trim());
  process.kill(pid, "SIGINT");
  const r = await running;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /warning: the guest is aarch64 but the host is x86_64: it is emulated .*slower/);
  assert.match(r.stderr, /interrupted/);
  assert.equal(String(parseList((await cli.ok(["list", "--json", EFI])).stdout)[0]?.status), "Stopped");
  assert.equal(existsSync(`/proc/${qemuPid}`), false, "QEMU is gone");

  await cli.ok(["delete", EFI], { timeoutMs: 10 * 60_000 });
  assert.equal(parseList((await cli.ok(["list", "--json"])).stdout).some((i) => i.name === EFI), false);
});
