/**
 * video.display: vnc (QEMU's VNC server on loopback with a password, Lima's vncdisplay/vncpassword,
 * `tslima screenshot`) and tpm: true (swtpm's TPM 2.0 answering in the guest, its state kept).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { migrationBlockers, QmpClient } from "../../../src/qemu/index.js";
import type { FieldFragment } from "./fragment.js";

/** The first bytes a VNC server sends: its RFB version line, then (3.8) the security types it offers. */
function rfbHello(host: string, port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no RFB greeting from ${host}:${port}`));
    }, 10_000);
    s.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on("data", (b: Buffer) => {
      got = Buffer.concat([got, b]);
      if (got.length === 12) s.write(got); // answer with the same version: the server then lists its security types
      if (got.length >= 13 && got.length >= 13 + (got[12] ?? 0)) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
  });
}

/** TPM2_GetRandom(8) sent to /dev/tpm0 by root; prints the response code (0 = success) and its length. */
const GET_RANDOM = [
  "import os",
  "f = os.open('/dev/tpm0', os.O_RDWR)",
  "os.write(f, bytes.fromhex('80010000000c0000017b0008'))",
  "r = os.read(f, 4096)",
  "print(int.from_bytes(r[6:10], 'big'), len(r))",
].join("; ");

export const fragment: FieldFragment = {
  title: "video.display vnc (VNC on loopback with a password, screenshot) and tpm: true (swtpm)",
  yaml: () => "video:\n  display: vnc\n  vnc:\n    display: 0.0.0.0:0,to=9\ntpm: true\n",
  async check(ctx) {
    const { cli, name, dir } = ctx;
    // VNC: Lima's files, 0600; the address asked for (every address) was made loopback
    const display = readFileSync(join(dir, "vncdisplay"), "utf8");
    assert.match(display, /^127\.0\.0\.1:\d$/);
    assert.match(readFileSync(join(dir, "vncpassword"), "utf8"), /^[A-Za-z0-9]{8}$/);
    for (const f of ["vncdisplay", "vncpassword"]) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    const port = 5900 + Number(display.split(":")[1]);
    const hello = await rfbHello("127.0.0.1", port);
    assert.match(hello.subarray(0, 12).toString("latin1"), /^RFB 003\.00\d\n$/);
    const types = [...hello.subarray(13, 13 + (hello[12] ?? 0))];
    assert.ok(types.includes(2) && !types.includes(1), `VNC authentication only, got security types ${types.join(",")}`);
    const lan = Object.values(networkInterfaces()).flat().find((a) => a?.family === "IPv4" && !a.internal);
    if (lan !== undefined) await assert.rejects(rfbHello(lan.address, port), `the VNC server must not answer on ${lan.address}`);

    // screenshot: a PNG of the screen, 0600, its path on stdout
    const out = join(cli.root, "screen.png");
    const r = await cli.run(["screenshot", name, "-o", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), out);
    const png = readFileSync(out);
    assert.equal(png.subarray(0, 8).toString("hex"), "89504e470d0a1a0a");
    assert.ok(png.readUInt32BE(16) >= 320 && png.readUInt32BE(20) >= 200, `screen ${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const bad = await cli.run(["screenshot", name, "-o", join(cli.root, "screen.gif")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\.png or \.ppm/);

    // TPM 2.0 from swtpm: the kernel found it, and it answers a command
    assert.equal(await ctx.sh("cat /sys/class/tpm/tpm0/tpm_version_major"), "2");
    assert.equal(await ctx.sh(`sudo python3 -c "${GET_RANDOM}"`), "0 20");
    assert.ok(existsSync(join(dir, "swtpm.sock")));
    // QEMU can save the TPM's state with the VM's (suspend, booted snapshots): no migration blocker
    const qmp = await QmpClient.connect(join(dir, "qmp.sock"));
    try {
      assert.deepEqual(await migrationBlockers(qmp), []);
    } finally {
      qmp.close();
    }
  },
  afterStop({ dir }) {
    // swtpm's state stays with the instance; the runtime files go
    assert.ok(existsSync(join(dir, "swtpm", "tpm2-00.permall")), "swtpm state kept");
    assert.equal(statSync(join(dir, "swtpm")).mode & 0o777, 0o700);
    for (const f of ["swtpm.sock", "vncdisplay", "vncpassword"]) assert.ok(!existsSync(join(dir, f)), `${f} removed`);
    return Promise.resolve();
  },
};
