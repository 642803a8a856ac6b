/**
 * End to end, a guest of another architecture: the aarch64 build of Debian 12 (`tslima image build
 * debian-12 --arch aarch64`, made by scripts/build-test-guest) boots emulated on this x86_64 host under
 * multi-threaded TCG (qemu-system-aarch64, `-machine virt`, direct kernel boot). One VM serves the whole
 * file (FileGuest), booted through the library; the tests drive it with the CLI as a user would: the
 * start says the guest is emulated, `uname -m` prints aarch64, a 9p mount with securityModel
 * mapped-xattr keeps a guest chown, a static port forward reaches a guest listener, shell and copy
 * work, and `tslima stop` stops the VM cleanly. The image is not part of the default set-up
 * (scripts/build-test-guest builds it with TSLIMA_AARCH64_IMAGE=1): without it, every test is skipped
 * and says how to build it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Cli, FileGuest, guestYaml, parseList } from "./harness.js";
import { buildCacheDir, buildImage, hostArch, isTslimaError, type AgentEvent } from "../../src/index.js";

/** Why the file is skipped: the aarch64 build is not in the cache (a start would build it first, for about half an hour). */
const notBuilt = await buildImage({ name: "debian-12", arch: "aarch64", cacheDir: buildCacheDir(), prebuiltOnly: true }).then(
  () => undefined,
  (e: unknown) => {
    if (isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_NOT_BUILT") {
      return `aarch64 ${e.message}: build it with \`TSLIMA_AARCH64_IMAGE=1 scripts/build-test-guest\``;
    }
    throw e;
  },
);
const skip = notBuilt ?? false;
if (notBuilt) console.log(`# skipped: ${notBuilt}`);

const NAME = "arm";
const cli = new Cli("arch-aarch64");
const share = join(cli.root, "share");
const guest = new FileGuest(cli);
const bootEvents: AgentEvent[] = [];
/** An emulated boot on a shared 2-core machine: generous, never asserted on. */
const BOOT = { timeout: 40 * 60_000 };
const ARM_IMAGES = ["images:", '- location: "build:debian-12"', '  arch: "aarch64"'].join("\n");

before(async () => {
  if (notBuilt) return;
  mkdirSync(share, { recursive: true });
  const yaml = guestYaml(
    [
      'arch: "aarch64"',
      "mounts:",
      `- location: ${JSON.stringify(share)}`,
      "  mountPoint: /mnt/share",
      "  writable: true",
      "  9p: {securityModel: mapped-xattr}",
      "mountType: 9p",
      "portForwards:",
      "- guestPort: 8126",
      "  hostPort: 18126",
    ].join("\n"),
    { images: ARM_IMAGES, cpus: 1, memory: "1GiB" },
  );
  await guest.boot({ name: NAME, yaml, timeoutMs: BOOT.timeout, onEvent: (e) => bootEvents.push(e) });
}, BOOT);
after(() => guest[Symbol.asyncDispose]());

test("the host is not aarch64, and the start said the guest is emulated", { skip }, () => {
  assert.notEqual(hostArch(), "aarch64", "this test proves emulation only on a host of another arch");
  const said = bootEvents.map((e) => e.warning ?? "").join("\n");
  assert.match(said, /guest is aarch64 but the host is x86_64: it is emulated/);
});

test("uname -m in the guest prints aarch64", { skip }, async () => {
  const r = await cli.ok(["shell", NAME, "uname", "-m"]);
  assert.equal(r.stdout.trim(), "aarch64");
});

test("QEMU is qemu-system-aarch64 with the virt machine under multi-threaded TCG", { skip }, () => {
  const pid = readFileSync(join(cli.home, NAME, "qemu.pid"), "utf8").trim();
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  assert.match(argv[0] ?? "", /qemu-system-aarch64$/);
  assert.ok(argv.some((a) => a.startsWith("virt,")), argv.join(" "));
  assert.ok(argv.some((a) => a.startsWith("tcg,thread=multi")), argv.join(" "));
});

test("9p mapped-xattr: a chown in the guest is kept (in the guest and as user.virtfs xattrs on the host)", { skip }, async () => {
  // The share is the test root's directory (mode 755, owned by whoever runs the tests): guest root writes.
  await cli.ok(["shell", NAME, "sudo", "sh", "-c", "echo owned >/mnt/share/own && chown 1234:2345 /mnt/share/own"]);
  const r = await cli.ok(["shell", NAME, "stat", "-c", "%u:%g", "/mnt/share/own"]);
  assert.equal(r.stdout.trim(), "1234:2345");
  assert.equal(readFileSync(join(share, "own"), "utf8"), "owned\n");
  const x = spawnSync("getfattr", ["--absolute-names", "-d", "-m", "^user\\.virtfs\\.", "-e", "hex", join(share, "own")], { encoding: "utf8" });
  assert.match(x.stdout, /user\.virtfs\.uid=0x[0-9a-f]+/);
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
