/**
 * virtiofs end to end on one VM: virtiofsd found on the host (Rust on PATH / vhost-user descriptors,
 * or Debian QEMU 7.2's C daemon), one per mount under the host agent, guest RAM shared with them,
 * stopped with the VM. The C daemon only runs as root, so this file runs tslima as the current user.
 * The VM is booted through the library and held with `await using`; the tests use the CLI on it.
 * `mountInotify: true` is on: guest changes are not echoed back, host writes raise events.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bootGuest, Cli, guestYaml } from "./harness.js";
import { GUEST_REPROBE, guestProbe, hostObserve, hostPrepare, resultsTable } from "./mounts-probe.js";
import { findVirtiofsd, mountTag } from "../../src/mounts/index.js";
import { assertVerdicts, doctorJson } from "./mounts-doctor.js";
import { assertEachOnce, guestChangesOnce } from "./mounts-inotify.js";

const NAME = "mvfs";
const cli = new Cli("mounts-virtiofs");
const rw = join(cli.root, "share", "rw");
const ro = join(cli.root, "share", "ro dir ü");
const info = findVirtiofsd();

/** pids of virtiofsd processes whose command line mentions `dir` (ours only). */
function virtiofsdPids(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (cmd.some((a) => a.includes("virtiofsd")) && cmd.some((a) => a.includes(dir))) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

const sh = (script: string, ...args: string[]) => cli.run(["shell", "--workdir", "/", NAME, "sudo", "sh", "-c", script, "sh", ...args], { timeoutMs: 180_000 });

test("virtiofs: virtiofsd per mount, semantics, read-only, stopped with the VM", { skip: info === undefined || (info.needsRoot && process.getuid?.() !== 0) ? "no usable virtiofsd on this host" : false }, async (t) => {
  t.after(() => cli.cleanup());
  mkdirSync(rw, { recursive: true });
  mkdirSync(ro, { recursive: true });
  hostPrepare(ro);
  const mounts = [
    `- location: ${JSON.stringify(rw)}`, "  mountPoint: /mnt/rw", "  writable: true",
    `- location: ${JSON.stringify(ro)}`, "  mountPoint: /mnt/ro",
  ].join("\n");
  const started = Date.now();
  await using vm = await bootGuest(cli, { cold: true, reason: "virtiofs mounts are QEMU devices and vhost-user daemons of the boot", name: NAME, yaml: guestYaml(`mountType: virtiofs\nmountInotify: true\nmounts:\n${mounts}`), timeoutMs: 20 * 60_000 });
  console.log(`# ${vm.name} ready after ${Math.round((Date.now() - started) / 1000)} s, virtiofsd: ${info?.binary} (${info?.flavor})`);

  await t.test("one virtiofsd per mount runs while the VM runs; the guest mounts virtiofs with the Lima tag", async () => {
    assert.equal(virtiofsdPids(rw).length >= 1, true, "virtiofsd for the writable mount");
    assert.equal(virtiofsdPids(ro).length >= 1, true, "virtiofsd for the read-only mount");
    const m = (await sh("cat /proc/mounts")).stdout;
    assert.match(m, new RegExp(`^${mountTag(rw, "/mnt/rw")} /mnt/rw virtiofs rw`, "m"));
    assert.match(m, new RegExp(`^${mountTag(ro, "/mnt/ro")} /mnt/ro virtiofs ro`, "m"));
  });

  await t.test("mountInotify: a guest write, chmod, create and delete each raise their events once (no echo from the host); a host write still raises its own", async () => {
    const r = await guestChangesOnce(cli, vm, "/mnt/rw", rw, join(cli.home, NAME, "inotify.json"));
    assertEachOnce("virtiofs mountInotify echo", r, { xattrs: false });
  });

  await t.test("probe: chown, symlinks, chmod, hard link, rename, writes both ways (and after a remount)", async () => {
    hostPrepare(rw);
    const guest = await guestProbe(cli, NAME, "/mnt/rw");
    const re = await sh('umount "$1" && mount "$1"', "/mnt/rw");
    assert.equal(re.code, 0, re.stderr);
    const again = await guestProbe(cli, NAME, "/mnt/rw", GUEST_REPROBE);
    const row = { mount: `virtiofs (${info?.flavor} virtiofsd, uid ${process.getuid?.()})`, guest, again, host: hostObserve(rw) };
    console.log(`\nvirtiofs results\n${resultsTable([row])}\n`);
    assert.equal(row.host.gw, "from-guest");
    assert.equal(guest.hostwrite, "ok:from-host");
    assert.equal(guest.hostlinkcat, "ok:from-host");
    assert.equal(row.host.gl, "symlink -> gw.txt", "virtiofs keeps symlinks");
    assert.equal(row.host.mode, "640");
    assert.equal(row.host.nlink, "2");
    assert.equal(row.host.renamed, "a");
    // Lima: virtiofs refuses chown in common set-ups (an unprivileged daemon, macOS). A root daemon
    // applies it on the host; either way the guest must see what the host has.
    if (guest.chown?.startsWith("ok")) {
      assert.equal(row.host.owner, "1234:2345");
      assert.equal(again.owner2, "ok:1234:2345");
    } else {
      assert.match(guest.chown ?? "", /Operation not permitted|Permission denied/);
    }
  });

  await t.test("read-only is enforced on the host, not only by the guest's ro flag", async () => {
    const w = await sh('touch /mnt/ro/a 2>&1; mount -o remount,rw /mnt/ro && touch /mnt/ro/sneaky', "/mnt/ro");
    console.log(`# virtiofs read-only after a guest remount,rw: exit ${w.code}: ${w.stdout.trim()} ${w.stderr.trim()}`);
    assert.equal(existsSync(join(ro, "a")), false);
    assert.equal(existsSync(join(ro, "sneaky")), false, "the host refused the write");
    const r = await sh("cat /mnt/ro/host-write.txt");
    assert.equal(r.stdout.trim(), "from-host");
  });

  await t.test("doctor mounts --json: chown, symlinks both ways and hard links as the README's table says", async () => {
    const report = await doctorJson(cli, NAME, ["/mnt/rw", "/mnt/ro"]);
    const rootDaemon = process.getuid?.() === 0;
    assertVerdicts(report, {
      "/mnt/rw": { write: "ok", chown: rootDaemon ? "ok" : "fail", symlinkGuest: "ok", symlinkHost: "ok", hardlink: "ok" },
      "/mnt/ro": { readOnly: "ok" },
    }, [rw, ro]);
  });

  await t.test("stop: the virtiofsd daemons end with the VM", async () => {
    await cli.ok(["stop", NAME], { timeoutMs: 5 * 60_000 });
    assert.deepEqual(virtiofsdPids(rw), []);
    assert.deepEqual(virtiofsdPids(ro), []);
    assert.equal(existsSync(join(cli.home, NAME, "virtiofsd-0.sock")), false);
  });
});
