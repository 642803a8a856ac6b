/**
 * 9p end to end, on one VM with many mounts: every security model, 9p2000.u, msize 4KiB and 1MiB,
 * every cache mode, read-only (enforced by QEMU), a path with spaces/quotes/non-ASCII, a writable
 * location that does not exist yet, `~` and template variables. tslima runs as an unprivileged host
 * user (made with useradd when the tests run as root), as users do: QEMU then cannot chown on the
 * host, which is what passthrough documents. The VM is booted through the library (held with
 * `await using`, its host agent running as that user); the tests use the CLI as that user.
 * `mountInotify: true` is on: a guest inotify watcher sees host writes. Last, the VM is suspended and
 * resumed with all these mounts (suspend-checks.ts), which leaves it stopped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { bootGuest, Cli, guestYaml, hostUser, readableGuestImages } from "./harness.js";
import { guestProbeRemountAll, hostObserve, hostPrepare, resultsTable, type ResultRow } from "./mounts-probe.js";
import { mountTag } from "../../src/mounts/index.js";
import { assertVerdicts, doctorJson } from "./mounts-doctor.js";
import { assertEachOnce, guestChangesOnce, guestChmodRace, guestSeesHostWrite } from "./mounts-inotify.js";
import { suspendChecks } from "./suspend-checks.js";

const NAME = "m9p";
const user = hostUser();
const cli = new Cli("mounts-9p", user ? { user } : {});
const share = join(cli.root, "share");
const ODD = `sp ace 'q' "dq" ünï`;
const hostHome = user?.home ?? process.env.HOME ?? "/root";
const tildeDir = join(hostHome, `tslima-e2e-${NAME}`);

interface Spec {
  key: string;
  yaml: string;
  /** host location, guest mount point (as expanded) */
  location: string;
  mountPoint: string;
  writable: boolean;
  /** tokens /proc/mounts must show */
  shows?: RegExp[];
}

const guestHome = `/home/${user?.name ?? "lima"}.guest`;
const simple = (key: string, opts: string, shows: RegExp[] = [], writable = true): Spec => ({
  key,
  location: join(share, key),
  mountPoint: `/mnt/${key}`,
  writable,
  shows,
  yaml: [`- location: ${JSON.stringify(join(share, key))}`, `  mountPoint: /mnt/${key}`, `  writable: ${writable}`, ...(opts ? [`  9p: {${opts}}`] : [])].join("\n"),
});

const SPECS: Spec[] = [
  simple("sec-none", "securityModel: none", [/\bmmap\b|cache=(mmap|5)\b/]),
  simple("sec-passthrough", "securityModel: passthrough"),
  simple("sec-mapped-xattr", "securityModel: mapped-xattr"),
  simple("sec-mapped-file", "securityModel: mapped-file"),
  simple("ver-9p2000.u", 'protocolVersion: "9p2000.u"', [/version=9p2000\.u/]),
  simple("msize-4KiB", 'msize: "4KiB"', [/msize=4096\b/]),
  simple("msize-1MiB", 'msize: "1MiB"', [/msize=512000\b/]),
  simple("cache-none", "cache: none"),
  simple("cache-loose", "cache: loose", [/\bloose\b|cache=(loose|f)\b/]),
  simple("cache-fscache", "cache: fscache", [/\bfscache\b|cache=(fscache|8f)\b/]),
  simple("read-only", "", [/^ro,|,ro,|\bfscache\b/], false),
  {
    key: "odd-path",
    location: join(share, ODD),
    mountPoint: join(share, ODD),
    writable: true,
    yaml: [`- location: ${JSON.stringify(join(share, ODD))}`, "  writable: true"].join("\n"),
  },
  {
    key: "not-yet-existing",
    location: join(share, "new", "dir"),
    mountPoint: "/mnt/new",
    writable: true,
    yaml: [`- location: ${JSON.stringify(join(share, "new", "dir"))}`, "  mountPoint: /mnt/new", "  writable: true"].join("\n"),
  },
  {
    key: "tilde+template",
    location: tildeDir,
    mountPoint: `${guestHome}/tilde-${NAME}`,
    writable: true,
    yaml: ['- location: "~/tslima-e2e-{{.Name}}"', '  mountPoint: "{{.Home}}/tilde-{{.Name}}"', "  writable: true"].join("\n"),
  },
];

const sh = (script: string, ...args: string[]) => cli.run(["shell", "--workdir", "/", NAME, "sudo", "sh", "-c", script, "sh", ...args], { timeoutMs: 180_000 });

test("9p: every option on one VM, as an unprivileged host user", async (t) => {
  t.after(async () => {
    await cli.cleanup([NAME, `${NAME}-legacy`, `${NAME}-ro`]);
    rmSync(tildeDir, { recursive: true, force: true });
  });
  mkdirSync(share, { recursive: true });
  for (const s of SPECS) if (s.key !== "not-yet-existing" && s.key !== "tilde+template") mkdirSync(s.location, { recursive: true });
  rmSync(tildeDir, { recursive: true, force: true });
  const images = user ? readableGuestImages(join(cli.root, "image")) : undefined;
  cli.chown();
  const yaml = (mounts: string) => guestYaml(`mountType: 9p\nmounts:\n${mounts}`, images ? { images } : {});

  await t.test("failure path, before boot: legacy 9p2000 is refused naming the mount", async () => {
    const r = await cli.run(["start", "--name", `${NAME}-legacy`, cli.file("legacy.yaml", yaml(simple("legacy", 'protocolVersion: "9p2000"').yaml))], { timeoutMs: 300_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /legacy\.yaml:\d+:\d+: mounts\[0\]\.9p\.protocolVersion: "9p2000" \(legacy 9P\) is not served by QEMU's 9p server/);
    assert.match(r.stderr, /9p2000\.L/);
  });

  await t.test("failure path, before boot: a read-only location that does not exist is an error", async () => {
    const missing = join(share, "does-not-exist");
    const r = await cli.run(["start", "--name", `${NAME}-ro`, cli.file("ro.yaml", yaml(`- location: ${JSON.stringify(missing)}\n  mountPoint: /mnt/x`))], { timeoutMs: 300_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /does-not-exist -> \/mnt\/x\): the location does not exist/);
    assert.equal(existsSync(missing), false);
  });

  const started = Date.now();
  await using vm = await bootGuest(cli, { cold: true, reason: "9p mounts and mountInotify are QEMU devices and boot-time config", name: NAME, yaml: `mountInotify: true\n${yaml(SPECS.map((s) => s.yaml).join("\n"))}`, timeoutMs: 20 * 60_000 });
  const coldMs = Date.now() - started;
  console.log(`# ${vm.name} ready after ${Math.round(coldMs / 1000)} s (${SPECS.length} 9p mounts, running as ${user?.name ?? "the current user"})`);

  const procMounts = (await sh("cat /proc/mounts")).stdout;
  const byMountPoint = new Map(
    procMounts.split("\n").map((l) => l.split(" ")).filter((f) => f[2] === "9p").map((f) => [(f[1] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), f] as const),
  );

  await t.test("every mount is there with its Lima 2.x tag and the intended options", () => {
    const qemuLog = readFileSync(join(cli.home, NAME, "ha.stderr.log"), "utf8");
    for (const s of SPECS) {
      const f = byMountPoint.get(s.mountPoint);
      assert.ok(f, `${s.key}: ${s.mountPoint} not in /proc/mounts:\n${procMounts}`);
      assert.equal(f[0], mountTag(s.location, s.mountPoint), `${s.key}: tag`);
      assert.ok(qemuLog.includes(`mount_tag=${mountTag(s.location, s.mountPoint)}`), `${s.key}: tag in qemu argv`);
      for (const re of s.shows ?? []) assert.match(f[3] ?? "", re, `${s.key}: options ${f[3]}`);
      assert.equal((f[3] ?? "").startsWith(s.writable ? "rw" : "ro"), true, `${s.key}: ${f[3]}`);
    }
    assert.ok(statSync(join(share, "new", "dir")).isDirectory(), "the missing writable location was created");
    assert.ok(statSync(tildeDir).isDirectory(), "~ was expanded to the host user's home");
  });

  await t.test("mountInotify: a guest inotify watcher sees a file written on the host", async () => {
    const s = SPECS.find((x) => x.key === "sec-none");
    assert.ok(s);
    const r = await guestSeesHostWrite(cli, vm, s.mountPoint, s.location, "inotify-probe.txt", 20);
    console.log(`# mountInotify: the guest saw ${r.events.length} event(s) for the host write, the first at most ${r.latency ?? "-"} s after it: ${r.events.join("; ")}`);
    assert.ok(r.events.length > 0, "no inotify event in the guest for a host write");
    const masks = r.events.map((e) => Number(e.split(" ")[1]));
    assert.ok(masks.some((m) => (m & 0x4) !== 0), `IN_ATTRIB expected: ${r.events.join("; ")}`);
    assert.ok(masks.some((m) => (m & 0x8) !== 0), `IN_CLOSE_WRITE expected: ${r.events.join("; ")}`);
    assert.deepEqual(readdirSync(s.location).filter((n) => n.startsWith(".tslima-inotify")), [], "nothing of the forwarder left in the directory");
    assert.ok(r.unchanged, "the forwarding changed the host file's mtime or size");
  });

  await t.test("mountInotify: a guest chmod sticks while host changes to the same file are forwarded", async () => {
    // both mounts at once (a file each, each with its host toucher)
    const keys = ["sec-none", "sec-mapped-xattr"];
    const races = await Promise.all(keys.map((key) => {
      const s = SPECS.find((x) => x.key === key);
      assert.ok(s);
      return guestChmodRace(cli, vm, s.mountPoint, s.location, "chmod-race.txt", 12, join(cli.home, NAME, "inotify.json"));
    }));
    for (const [i, key] of keys.entries()) {
      const r = races[i];
      assert.ok(r);
      console.log(`# ${key}: ${r.rounds} guest chmod 600/640 rounds against ${r.touches} host touches: 640 undone ${r.undone} times, mode after forwarding drained ${r.finalMode}`);
      assert.ok(r.rounds > 0 && r.touches > 0, JSON.stringify(r));
      assert.equal(r.undone, 0, `${key}: the guest's chmod 640 was undone while forwarding ran`);
      assert.equal(r.finalMode, "640", `${key}: the guest's last chmod did not stick`);
    }
  });

  await t.test("mountInotify: a guest write, chmod, create and delete each raise their events once (no echo from the host); a host write still raises its own", async () => {
    const s = SPECS.find((x) => x.key === "sec-none");
    assert.ok(s);
    const r = await guestChangesOnce(cli, vm, s.mountPoint, s.location, join(cli.home, NAME, "inotify.json"));
    assertEachOnce("mountInotify echo", r, { xattrs: true });
  });

  const rows: ResultRow[] = [];
  await t.test("probe: chown, symlinks, chmod, hard link, rename, writes both ways (and after a remount)", async () => {
    for (const s of SPECS) hostPrepare(s.location);
    // one guest session probes every mount, remounts it and probes again
    const probes = await guestProbeRemountAll(cli, NAME, SPECS.map((s) => s.mountPoint));
    for (const s of SPECS) {
      const p = probes.get(s.mountPoint);
      assert.ok(p, `no probe output for ${s.mountPoint}`);
      assert.match(p.again.remount ?? "", /^ok:(busy \d+)?$/, `remount ${s.mountPoint}`);
      if (p.again.remount !== "ok:") console.log(`# ${s.key}: umount found the mount busy ${p.again.remount?.slice("ok:busy ".length)} time(s)`);
      rows.push({ mount: s.key, guest: p.guest, again: p.again, host: hostObserve(s.location) });
    }
    console.log(`\n9p results (QEMU runs as ${user ? `${user.name}, uid ${user.uid}` : `uid ${process.getuid?.()}`}; root in the guest does chown 1234:2345)\n${resultsTable(rows)}\n`);
  });

  await t.test("each security model does what it is documented to do", () => {
    const row = (k: string) => {
      const r = rows.find((x) => x.mount === k);
      assert.ok(r, `no row for ${k}`);
      return r;
    };
    const qemuUid = String(user?.uid ?? process.getuid?.());
    const unprivileged = qemuUid !== "0";
    for (const r of rows) {
      if (r.mount === "read-only" || (unprivileged && r.mount === "sec-passthrough")) continue;
      assert.equal(r.host.gw, "from-guest", `${r.mount}: guest write seen on the host`);
      assert.equal(r.guest.hostwrite, "ok:from-host", `${r.mount}: host write seen in the guest`);
      assert.equal(r.guest.rename, "ok:", `${r.mount}: rename over an existing file`);
      assert.equal(r.host.renamed, "a", `${r.mount}: renamed content on the host`);
      assert.match(r.guest.hardlink ?? "", /^ok/, `${r.mount}: hard link`);
      assert.equal(r.host.nlink, "2", `${r.mount}: hard link on the host`);
    }
    // passthrough: QEMU creates files with the guest's owner for real. Unprivileged, it cannot give a
    // file to root (or anyone else), so root in the guest cannot even create one, nor chown.
    const pt = row("sec-passthrough");
    if (unprivileged) {
      assert.match(pt.guest.mkdir ?? "", /^fail:/, "passthrough: root cannot create files through an unprivileged QEMU");
      assert.equal(pt.guest.hostwrite, "ok:from-host", "passthrough: reading works");
    } else {
      assert.equal(pt.host.owner, "1234:2345");
      assert.equal(pt.host.gl, "symlink -> gw.txt", "passthrough keeps symlinks");
      assert.equal(pt.host.mode, "640");
    }
    // mapped-xattr: ownership and mode kept in user.virtfs.* xattrs; symlinks become regular files on the host
    const mx = row("sec-mapped-xattr");
    assert.match(mx.guest.chown ?? "", /^ok/);
    assert.equal(mx.again.owner2, "ok:1234:2345", "mapped-xattr keeps chown across a remount");
    assert.equal(mx.host.owner.split(":")[0], qemuUid, "the host file stays owned by QEMU's user");
    assert.match(mx.host.ownerMeta, /xattr .*uid=1234.*|xattr .*gid=2345/);
    assert.match(mx.host.gl, /^regular file "gw.txt"/, "mapped-xattr stores a guest symlink as a file");
    assert.equal(mx.guest.symlinkread, "ok:gw.txt", "the guest still sees a symlink");
    assert.equal(mx.guest.mode, "ok:640");
    assert.equal(mx.host.mode, "600", "mapped: the host file keeps QEMU's private mode, the guest's is metadata");
    // mapped-file: the same, kept in .virtfs_metadata
    const mf = row("sec-mapped-file");
    assert.match(mf.guest.chown ?? "", /^ok/);
    assert.equal(mf.again.owner2, "ok:1234:2345", "mapped-file keeps chown across a remount");
    assert.equal(mf.host.owner.split(":")[0], qemuUid);
    assert.match(mf.host.ownerMeta, /^\.virtfs_metadata .*uid=1234/);
    assert.match(mf.host.gl, /^regular file "gw.txt"/, "mapped-file stores a guest symlink as a file");
    // mapped models break host symlinks too: the guest sees a link it cannot read (ELOOP)
    for (const m of [mx, mf]) assert.match(m.guest.hostlinkcat ?? "", /^fail:.*Too many levels of symbolic links/, `${m.mount}: host symlink`);
    // none: QEMU's docs say ownership failures are ignored; that holds for creating files, an explicit
    // chown by an unprivileged QEMU still fails (EPERM). Either way nothing of it reaches the host.
    const none = row("sec-none");
    if (unprivileged) assert.match(none.guest.chown ?? "", /^fail:.*Operation not permitted/, "none: explicit chown fails unprivileged");
    assert.equal(none.host.owner.split(":")[0], qemuUid, "none: the host owner is unchanged");
    assert.notEqual(none.again.owner2, "ok:1234:2345", "none: no chown survives a remount");
    assert.equal(none.host.gl, "symlink -> gw.txt");
    assert.equal(none.host.mode, "640");
    for (const k of ["sec-none", "sec-passthrough"]) {
      assert.equal(row(k).guest.hostlink, "ok:host-write.txt", `${k}: host symlink readable in the guest`);
      assert.equal(row(k).guest.hostlinkcat, "ok:from-host", `${k}: host symlink followed in the guest`);
    }
  });

  await t.test("read-only is enforced by QEMU (readonly=on), not just the guest's ro flag", async () => {
    const ro = SPECS.find((s) => s.key === "read-only");
    assert.ok(ro);
    const r = await sh('mount -o remount,rw "$1" && touch "$1/sneaky"', ro.mountPoint);
    console.log(`# read-only mount after a guest remount,rw: exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`);
    assert.notEqual(r.code, 0);
    assert.equal(existsSync(join(ro.location, "sneaky")), false);
  });

  await t.test("msize 4KiB and 1MiB, every cache mode, 9p2000.u: a 2 MiB file crosses intact both ways", async () => {
    const specs = SPECS.filter((x) => /^(msize|cache|ver)-/.test(x.key) || x.key === "sec-none");
    // one guest session: the writes, one sync, then each file's sum (a line "MOUNTPOINT<TAB>SUM", or the error)
    const w = await sh('for m; do head -c 2097152 /dev/urandom > "$m/big.bin" || exit 1; done; sync; for m; do printf "%s\\t%s\\n" "$m" "$(sha256sum "$m/big.bin" 2>&1)"; done', ...specs.map((s) => s.mountPoint));
    assert.equal(w.code, 0, w.stderr);
    const sums = new Map(w.stdout.split("\n").filter((l) => l.includes("\t")).map((l) => l.split("\t") as [string, string]));
    for (const s of specs) {
      const hostSum = createHash("sha256").update(readFileSync(join(s.location, "big.bin"))).digest("hex");
      assert.equal(sums.get(s.mountPoint)?.split(" ")[0], hostSum, `${s.key}: guest->host (${sums.get(s.mountPoint)})`);
    }
  });

  await t.test("odd path: spaces, quotes and non-ASCII survive fstab escaping", () => {
    const r = rows.find((x) => x.mount === "odd-path");
    assert.equal(r?.guest.hostwrite, "ok:from-host");
    assert.equal(r?.host.gw, "from-guest");
  });

  await t.test("doctor mounts --json: chown, symlinks both ways and hard links as the README's table says", async () => {
    const keys = ["sec-none", "sec-mapped-xattr", "sec-mapped-file", "sec-passthrough", "read-only"];
    const report = await doctorJson(cli, NAME, keys.map((k) => `/mnt/${k}`));
    const unprivileged = (user?.uid ?? process.getuid?.()) !== 0;
    const mapped = { write: "ok", chown: "ok", chownRemount: "ok", symlinkGuest: "fail", symlinkHost: "fail", hardlink: "ok" } as const;
    assertVerdicts(report, {
      "/mnt/sec-none": { write: "ok", chown: unprivileged ? "fail" : "ok", symlinkGuest: "ok", symlinkHost: "ok", hardlink: "ok" },
      "/mnt/sec-mapped-xattr": mapped,
      "/mnt/sec-mapped-file": mapped,
      ...(unprivileged ? { "/mnt/sec-passthrough": { write: "fail" } } : {}),
      "/mnt/read-only": { readOnly: "ok" },
    }, keys.map((k) => join(share, k)));
    const none = report.mounts.find((m) => m.mountPoint === "/mnt/sec-none");
    assert.equal(none?.qemu?.securityModel, "none");
    if (unprivileged) assert.ok(none?.problems.some((p) => p.startsWith("chown refused: 9p securityModel none; use mapped-xattr")), none?.problems.join("\n"));
    assert.match(report.mounts.find((m) => m.mountPoint === "/mnt/sec-mapped-xattr")?.checks.chown.detail ?? "", /user\.virtfs/);
    assert.equal(report.inotify.enabled, true);
    assert.ok((report.inotify.stats?.forwarded ?? 0) > 0, report.inotify.summary);
    assert.equal(report.inotify.stats?.watching.length, SPECS.filter((s) => s.writable).length, report.inotify.summary);
    assert.match(report.inotify.summary, /^inotify forwarding: on for \d+ writable mounts, \d+ changes in \d+ batches/);
    console.log(`# doctor mounts: ${report.inotify.summary}`);
    assert.equal(report.inotify.stats?.guest?.recording, true, report.inotify.summary);
    assert.match(report.inotify.summary, /echoes of guest changes: [1-9]\d* skipped/);
  });

  await t.test("bench mounts --sweep on one 9p mount: figures, the mount restored, a snippet that validate accepts", async () => {
    const s = SPECS.find((x) => x.key === "sec-none");
    assert.ok(s);
    const r = await cli.run(["bench", "mounts", NAME, "--sweep", "--mount", s.mountPoint, "--mb", "2", "--files", "30", "--tree", "60"], { timeoutMs: 40 * 60_000 });
    console.log(`\n# tslima bench mounts ${NAME} --sweep --mount ${s.mountPoint} (tiny sizes)\n${r.stdout}\n# stderr:\n${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^guest disk +\/var\/tmp +\d/m);
    assert.match(r.stdout, new RegExp(`^${s.mountPoint} +9p as configured +\\d`, "m"));
    assert.match(r.stdout, /msize 512KiB, cache loose ! +\d/, "loose is marked unsafe for a writable mount (and the 512KiB runs happen)");
    const mounted = (await sh("cat /proc/mounts")).stdout.split("\n").find((l) => l.split(" ")[1] === s.mountPoint);
    assert.match(mounted ?? "", /\bmmap\b|cache=(mmap|5)\b/, `restored as configured: ${mounted}`);
    const snippet = r.stdout.slice(r.stdout.indexOf("# The options that won"));
    assert.match(snippet, /^mounts:$/m);
    // pasted into the instance's lima.yaml in place of its mounts:, tslima validate accepts it
    const limaYaml = readFileSync(join(cli.home, NAME, "lima.yaml"), "utf8");
    const doc = parse(limaYaml) as Record<string, unknown>;
    const pasted = cli.file("pasted.yaml", stringify({ ...doc, mounts: (parse(snippet) as { mounts: unknown }).mounts }));
    const v = await cli.run(["validate", pasted]);
    assert.equal(v.code, 0, `${v.stderr}\n${snippet}`);
    const ours = (parse(snippet) as { mounts: Array<{ mountPoint: string; "9p": { cache: string } }> }).mounts.find((m) => m.mountPoint === s.mountPoint);
    assert.ok(ours && ["none", "mmap"].includes(ours["9p"].cache), `a writable mount gets a safe cache mode: ${JSON.stringify(ours)}`);
  });

  // Last, as they end with the VM stopped: suspend and resume with all these 9p mounts (issue 11).
  const writable = SPECS.find((x) => x.key === "sec-mapped-xattr");
  assert.ok(writable);
  await suspendChecks(t, { cli, vm, coldMs, location: writable.location, mountPoint: writable.mountPoint, port: 8765 });
});
