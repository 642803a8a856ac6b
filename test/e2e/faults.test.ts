/**
 * Bad input and missing pieces, through the CLI: each gives one clear error with a hint, nothing is
 * left running, and the instance stays usable (Stopped). None of these boots a VM.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { Cli, guestYaml, hostUser, parseList, readableGuestImages } from "./harness.js";
import { findVirtiofsd } from "../../src/mounts/index.js";

const cli = new Cli("faults");
after(() => cli.cleanup(["noqemu", "busyport", "noimage", "nomount"]));

async function statusOf(name: string): Promise<string> {
  return String(parseList((await cli.ok(["list", "--json", name])).stdout)[0]?.status);
}

test("qemu-system-* missing: the error names the package to install", async () => {
  // A PATH with the tools tslima needs except QEMU's system emulator.
  const bin = join(cli.root, "bin");
  mkdirSync(bin, { recursive: true });
  for (const tool of ["ssh", "scp", "ssh-keygen", "qemu-img"]) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  symlinkSync(process.execPath, join(bin, "node")); // bin/tslima runs the CLI with the node on PATH
  const r = await cli.run(["start", "--name", "noqemu", cli.file("noqemu.yaml", guestYaml())], { env: cli.env({ PATH: bin }) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /qemu-system-x86_64 was not found/);
  assert.match(r.stderr, /apt-get install qemu-system-x86/);
  assert.match(r.stderr, /^code: ERR_TSLIMA_QEMU_MISSING$/m, "the agent's own code, not START_FAILED");
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no stack trace");
  assert.equal(await statusOf("noqemu"), "Stopped");
});

test("ssh.localPort already in use: a clear error that names the port and the field", async () => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const yaml = cli.file("busyport.yaml", guestYaml(`ssh:\n  localPort: ${port}\n`));
    const r = await cli.run(["start", "--name", "busyport", yaml]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`ssh.localPort ${port} is already in use`));
    assert.match(r.stderr, /hint: .*ssh.localPort/);
    assert.match(r.stderr, /^code: ERR_TSLIMA_PORT_IN_USE$/m);
  } finally {
    server.close();
  }
  assert.equal(await statusOf("busyport"), "Stopped");
});

test("a disk image that does not exist: the error names the location; no disk is made", async () => {
  const yaml = cli.file("noimage.yaml", 'images:\n- location: "/nonexistent/disk.qcow2"\ncpus: 1\nmemory: 1GiB\n');
  const r = await cli.run(["start", "--name", "noimage", yaml]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /\/nonexistent\/disk.qcow2: no such file/);
  assert.match(r.stderr, /hint: .*images\[\]/);
  assert.match(r.stderr, /^code: ERR_TSLIMA_IMAGE_UNAVAILABLE$/m);
  assert.equal(await statusOf("noimage"), "Stopped");
  assert.ok(!readdirSync(join(cli.home, "noimage")).includes("diffdisk"), "no disk was created");
});

test("a read-only mount whose directory is missing: the host agent's own code and hint reach the CLI", async () => {
  const yaml = cli.file("nomount.yaml", guestYaml('mounts:\n- location: "/nonexistent/tslima-src"\n  mountPoint: "/mnt/src"\n'));
  const r = await cli.run(["start", "--name", "nomount", yaml]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error: starting nomount failed: mounts\[0\] \(\/nonexistent\/tslima-src -> \/mnt\/src\): the location does not exist/m);
  assert.match(r.stderr, /^hint: create \/nonexistent\/tslima-src, make the mount writable: true, or remove it from lima.yaml$/m);
  assert.match(r.stderr, /^code: ERR_TSLIMA_MOUNT_LOCATION$/m);
  assert.equal(await statusOf("nomount"), "Stopped");
});

test("an invalid lima.yaml is refused before anything is created", async () => {
  const yaml = cli.file("bad.yaml", guestYaml('mounts:\n- location: "/tmp"\n  9p:\n    securityModel: "mapped"\n'));
  const r = await cli.run(["start", "--name", "bad", yaml]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^code: ERR_TSLIMA_CONFIG_INVALID$/m);
  assert.match(r.stderr, /bad.yaml:\d+:\d+: mounts\[0\]\.9p\.securityModel: must be one of "passthrough", "mapped-xattr", "mapped-file", "none"/);
  const list = await cli.run(["list", "--json", "bad"]);
  assert.equal(list.stdout.trim(), "", "no instance named bad exists");
});

const cDaemonAsRoot = findVirtiofsd()?.needsRoot === true && process.getuid?.() === 0;

test(
  "virtiofs with QEMU's C virtiofsd for an unprivileged user: the agent's host check refuses it before QEMU starts",
  { skip: cDaemonAsRoot ? false : "needs root and QEMU's C virtiofsd (to start tslima as another user)" },
  async () => {
    const as = new Cli("faults-user", { user: hostUser()! });
    try {
      const images = readableGuestImages(join(as.root, "images"));
      const share = join(as.root, "share");
      mkdirSync(share);
      as.chown();
      const yaml = as.file("vfsuser.yaml", guestYaml(`mountType: virtiofs\nmounts:\n- location: "${share}"\n`, { images }));
      const r = await as.run(["start", "--name", "vfsuser", yaml]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /QEMU's C virtiofsd\) only runs as root/);
      assert.match(r.stderr, /^code: ERR_TSLIMA_MOUNT_VIRTIOFSD_ROOT$/m);
      assert.doesNotMatch(r.stderr, /Starting QEMU/, "refused before QEMU starts");
    } finally {
      await as.cleanup(["vfsuser"]);
    }
  },
);
