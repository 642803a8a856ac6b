/**
 * reverse-sshfs end to end on one VM: sshfs in the guest, OpenSSH's sftp-server on the host over the
 * instance's SSH connection, sshfs.cache / followSymlinks honoured, remounted after the connection
 * drops, and back after a suspend and resume (nothing of reverse-sshfs is in QEMU's state). Runs
 * tslima as an unprivileged host user (as users do) when the tests run as root: the VM is booted
 * through the library (held with `await using`) with its host agent running as that user, and the
 * tests use the CLI as that user. The VM is made from the run's booted base snapshot (resumed in
 * seconds, its mounts its own: a clone's mounts are reverse-sshfs, made by the resume), so this file
 * also shows a clone run by another user than the one who took the snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { guestSeesHostWrite } from "./mounts-inotify.js";
import { bootGuest, Cli, guestYaml, hostUser, parseList } from "./harness.js";
import { guestProbeRemountAll, hostObserve, hostPrepare, resultsTable } from "./mounts-probe.js";
import { assertVerdicts, doctorJson } from "./mounts-doctor.js";
import { isAlive } from "../../src/proc/pid.js";

const NAME = "msshfs";
const user = hostUser();
const cli = new Cli("mounts-sshfs", user ? { user } : {});
const dirs = { rw: join(cli.root, "share", "rw"), follow: join(cli.root, "share", "follow"), ro: join(cli.root, "share", "ro") };
/** Host files the agent's user can read, outside every location: what an unconfined sftp-server would hand out. */
const secret = join(cli.root, "share", "secret.txt");
const homeSecret = join(user?.home ?? cli.root, `tslima-sshfs-secret-${process.pid}`);

const sh = (script: string, ...args: string[]) => cli.run(["shell", "--workdir", "/", NAME, "sudo", "sh", "-c", script, "sh", ...args], { timeoutMs: 180_000 });

/** argv of a process. */
const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);

/** Children of the host agent running sftp-server (each under bwrap: the child's argv names it). */
function sftpServers(): number[] {
  const agent = readFileSync(join(cli.home, NAME, "ha.pid"), "utf8").trim();
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
        return ppid === agent && readFileSync(`/proc/${p}/cmdline`, "utf8").includes("sftp-server");
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Guest shell function `wait_mounted MOUNTPOINT...`: waits (up to 170 s, in the guest) until each is an sshfs mount that lists; else prints /proc/mounts and fails. */
const WAIT_MOUNTED = `wait_mounted() {
  end=$(($(date +%s) + 170))
  while :; do
    ok=1
    for d; do grep -qF " $d fuse.sshfs " /proc/mounts && ls "$d" >/dev/null 2>&1 || { ok=; break; }; done
    [ -n "$ok" ] && return 0
    [ "$(date +%s)" -lt $end ] || { cat /proc/mounts; return 1; }
    sleep 0.5
  done
}`;

/**
 * Waits until every mount point is an sshfs mount again (the host agent reconnects), polling in the
 * guest (one ssh session); then runs `then` there, whose output comes back. Returns the ms waited.
 */
async function waitMounted(points: string[], then = ""): Promise<{ ms: number; stdout: string }> {
  const t0 = Date.now();
  const r = await sh(`${WAIT_MOUNTED}\nwait_mounted "$@" || exit 1\necho @mounted\n${then}`, ...points);
  const ms = Date.now() - t0;
  const at = r.stdout.indexOf("@mounted\n");
  if (r.code !== 0 || at < 0) throw new Error(`${at < 0 ? "not remounted" : "remounted, but what followed failed"} (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return { ms, stdout: r.stdout.slice(at + "@mounted\n".length) };
}

test("reverse-sshfs: sftp-server over ssh, options honoured, remounted after a reconnect", async (t) => {
  t.after(() => cli.cleanup());
  t.after(() => rmSync(homeSecret, { force: true }));
  for (const d of Object.values(dirs)) {
    mkdirSync(d, { recursive: true });
    hostPrepare(d);
  }
  for (const f of [secret, homeSecret]) {
    writeFileSync(f, "host secret\n", { mode: 0o644 });
    if (user) chownSync(f, user.uid, user.gid);
  }
  const mounts = [
    `- location: ${JSON.stringify(dirs.rw)}`, "  mountPoint: /mnt/rw", "  writable: true",
    `- location: ${JSON.stringify(dirs.follow)}`, "  mountPoint: /mnt/follow", "  writable: true", "  sshfs: {cache: false, followSymlinks: true}",
    `- location: ${JSON.stringify(dirs.ro)}`, "  mountPoint: /mnt/ro",
  ].join("\n");
  const started = Date.now();
  // The base guest with mounts of its own: a clone of the run's booted snapshot (harness: bootGuest),
  // made for the unprivileged user, whose host agent runs the sftp-servers.
  await using vm = await bootGuest(cli, { from: "base-snapshot", name: NAME, yaml: guestYaml(`mountType: reverse-sshfs\nmounts:\n${mounts}`), timeoutMs: 20 * 60_000 });
  assert.equal(existsSync(join(cli.home, NAME, "snapshotdisk")), true, "made from the base snapshot");
  console.log(`# ${vm.name} ready after ${Math.round((Date.now() - started) / 1000)} s, as ${user?.name ?? "the current user"}`);

  await t.test("mounted as fuse.sshfs; sshfs.cache and followSymlinks reach the guest's sshfs", async () => {
    // one guest session: /proc/mounts, the sshfs processes, the links' types
    const facts = (await sh("cat /proc/mounts; echo @@; ps -eo args | grep '^/usr/bin/sshfs '; echo @@; stat -c %F /mnt/rw/host-link /mnt/follow/host-link")).stdout.split("@@\n");
    const [m = "", ps = "", types = ""] = facts;
    assert.match(m, / \/mnt\/rw fuse\.sshfs rw/);
    assert.match(m, / \/mnt\/follow fuse\.sshfs rw/);
    assert.match(m, / \/mnt\/ro fuse\.sshfs ro/);
    assert.match(ps, /sshfs :\S*\/rw \/mnt\/rw .*dir_cache=yes/);
    assert.match(ps, /sshfs :\S*\/follow \/mnt\/follow .*dir_cache=no,follow_symlinks/);
    assert.deepEqual(types.trim().split("\n"), ["symbolic link", "regular file"], "followSymlinks shows the link's target");
    // no directory cache: a file made on the host now is listed at once
    await sh("ls /mnt/follow >/dev/null");
    writeFileSync(join(dirs.follow, "late.txt"), "late\n");
    assert.match((await sh("ls /mnt/follow")).stdout, /late\.txt/);
  });

  await t.test("probe: chown, symlinks, chmod, hard link, rename, writes both ways (and after a remount)", async () => {
    // one guest session: the probe, a guest umount (which ends the sshfs session: the host agent
    // mounts it again; the guest waits for that and prints the ms), the probe after it
    const p = (await guestProbeRemountAll(cli, NAME, ["/mnt/rw"], `${WAIT_MOUNTED}
remount() { umount "$1" || return 1; t0=$(date +%s%3N); wait_mounted "$1" || return 1; echo $(($(date +%s%3N) - t0)); }`)).get("/mnt/rw");
    assert.ok(p, "no probe output");
    const { guest, again } = p;
    assert.match(again.remount ?? "", /^ok:\d+$/, "remounted by the host agent after a guest umount");
    const ms = again.remount?.slice(3);
    const row = { mount: `reverse-sshfs (sftp-server as ${user?.name ?? `uid ${process.getuid?.()}`})`, guest, again, host: hostObserve(dirs.rw) };
    console.log(`\nreverse-sshfs results (remounted by the host agent ${ms} ms after a guest umount)\n${resultsTable([row])}\n`);
    assert.equal(row.host.gw, "from-guest");
    assert.equal(guest.hostwrite, "ok:from-host");
    assert.equal(guest.hostlink, "ok:host-write.txt");
    assert.equal(row.host.gl, "symlink -> gw.txt");
    assert.equal(row.host.mode, "640");
    assert.equal(row.host.renamed, "a");
    if (user) assert.match(guest.chown ?? "", /^fail/, "an unprivileged sftp-server cannot chown");
  });

  await t.test("without mountInotify, a guest inotify watcher sees no host write", async () => {
    const r = await guestSeesHostWrite(cli, vm, "/mnt/rw", dirs.rw, "no-inotify-probe.txt", 10);
    assert.deepEqual(r.events, [], "an event without mountInotify");
    assert.match((await cli.ok(["doctor", "mounts", NAME, "--mount", "/mnt/ro"])).stdout, /^inotify forwarding: off/m);
  });

  await t.test("read-only: the guest cannot write", async () => {
    const w = await sh("touch /mnt/ro/x");
    assert.notEqual(w.code, 0);
    assert.match(w.stdout + w.stderr, /Read-only file system|Permission denied/);
  });

  await t.test("guest root, through the mounts and on a mount's own SFTP channel, reaches no host file outside the locations", async () => {
    // Through the mount: links guest root makes in a followSymlinks mount (sshfs asks the host's
    // server to follow them) to a host file beside the location, by absolute and by relative path.
    // (ln itself fails: sshfs stats a new link, following it, and finds nothing)
    const links = await sh(`ln -s "$1" /mnt/follow/esc-abs 2>/dev/null; ln -s ../secret.txt /mnt/follow/esc-rel 2>/dev/null
for l in esc-abs esc-rel; do cat /mnt/follow/$l 2>&1 && echo "@read $l"; done; exit 0`, secret);
    assert.equal(links.code, 0, links.stderr);
    assert.equal(readlinkSync(join(dirs.follow, "esc-abs")), secret, "the link is on the host");
    assert.equal(readlinkSync(join(dirs.follow, "esc-rel")), "../secret.txt");
    assert.doesNotMatch(links.stdout, /@read|host secret/, "a link led out of the location");
    assert.equal(links.stdout.match(/No such file or directory/g)?.length, 2, links.stdout);
    for (const l of ["esc-abs", "esc-rel"]) rmSync(join(dirs.follow, l));

    // On the channel: the helper runs /usr/bin/sshfs, which guest root can replace. The stand-in
    // speaks SFTP itself (OpenSSH's sftp client, its server end relayed to the channel) once and
    // puts the real sshfs back; guest root ends the read-only mount, the host agent reconnects it,
    // joining the stand-in to the mount's host sftp-server; after the stand-in the real one mounts.
    const batch = [
      `get ${dirs.ro}/host-write.txt /root/attack/inside`,
      `-get ${secret} /root/attack/outside`,
      `-get ${dirs.ro}/../secret.txt /root/attack/dotdot`,
      `-get ${homeSecret} /root/attack/home`,
      "-get /etc/hostname /root/attack/hostname",
      "-get /proc/self/environ /root/attack/environ",
      `-put /etc/hostname ${dirs.ro}/planted`,
      `-mkdir ${dirs.ro}/planted-dir`,
      `-put /etc/hostname ${join(cli.root, "share")}/planted`,
    ];
    const standIn = [
      "#!/bin/sh",
      '[ "$1" = -h ] && exec /root/sshfs.real -h',
      "mv /root/sshfs.real /usr/bin/sshfs",
      "exec 3<&0 4>&1 </dev/null >/dev/null",
      `sftp -b /root/attack.batch -D "/bin/sh -c 'cat <&3 4>&- & exec cat >&4 3<&-'" >/root/attack.out 2>&1`,
      "echo $? > /root/attack.done",
    ];
    const attack = await sh(`${WAIT_MOUNTED}
set -e
rm -rf /root/attack /root/attack.done; mkdir /root/attack
printf '%s\\n' "$@" > /root/attack.batch
cp /usr/bin/sshfs /root/sshfs.real
printf '%s\\n' ${standIn.map((l) => `'${l.replace(/'/g, "'\\''")}'`).join(" ")} > /usr/bin/sshfs.new
chmod 755 /usr/bin/sshfs.new
mv /usr/bin/sshfs.new /usr/bin/sshfs
umount /mnt/ro
end=$(($(date +%s) + 170))
until [ -e /root/attack.done ]; do [ "$(date +%s)" -lt $end ] || { echo "the stand-in never ran"; exit 1; }; sleep 0.5; done
wait_mounted /mnt/ro
echo "@exit $(cat /root/attack.done)"; cat /root/attack.out; echo @@; ls /root/attack; echo @@; cat /root/attack/inside`, ...batch);
    assert.equal(attack.code, 0, attack.stdout + attack.stderr);
    const [out = "", got = "", inside = ""] = attack.stdout.split("@@\n");
    console.log(`# guest root's SFTP session on the read-only mount's channel:\n${out.replace(/\r/g, "").replace(/^/gm, "#   ")}`);
    assert.match(out, /^@exit 0$/m, "the batch ran to its end");
    assert.equal(inside, "from-host\n", "the channel is the mount's: a file in the location is read");
    assert.deepEqual(got.trim().split("\n"), ["inside"], "nothing else was read");
    for (const p of [secret, `${dirs.ro}/../secret.txt`, homeSecret, "/etc/hostname", "/proc/self/environ"]) assert.ok(out.includes(`File "${p}" not found.`), `${p}: ${out}`);
    assert.equal(out.match(/Permission denied/g)?.length, 3, "the three writes refused");
    for (const p of [join(dirs.ro, "planted"), join(dirs.ro, "planted-dir"), join(cli.root, "share", "planted")]) assert.equal(existsSync(p), false, p);
    assert.equal(lstatSync(join(dirs.ro, "host-write.txt")).size, "from-host\n".length);
  });

  await t.test("reconnect: after the ssh connection drops, every mount comes back", async () => {
    const before = sftpServers();
    assert.equal(before.length, 3, `one sftp-server per mount, got ${before.join(",")}`);
    const exit = spawnSync("ssh", ["-F", join(cli.home, NAME, "ssh.config"), "-O", "exit", `lima-${NAME}`], {
      encoding: "utf8",
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    assert.equal(exit.status, 0, exit.stderr);
    const { ms, stdout } = await waitMounted(["/mnt/rw", "/mnt/follow", "/mnt/ro"], "cat /mnt/rw/host-write.txt");
    console.log(`# reverse-sshfs: all mounts back ${ms} ms after the ControlMaster was closed`);
    assert.equal(stdout.trim(), "from-host");
    const after = sftpServers();
    assert.equal(after.length, 3);
    assert.notDeepEqual(after.sort(), before.sort(), "new sessions");
    // every server the agent started again is the confined one: bwrap binding only its location (ro: read-only)
    const binds = after.map(argvOf).map((a) => {
      assert.equal(a[0], "bwrap", a.join(" "));
      const i = a.lastIndexOf("--remount-ro");
      return a.slice(i - 3, i).join(" ");
    });
    assert.deepEqual(binds.sort(), [`--bind ${dirs.follow} ${dirs.follow}`, `--bind ${dirs.rw} ${dirs.rw}`, `--ro-bind ${dirs.ro} ${dirs.ro}`].sort());
  });

  await t.test("doctor mounts --json: chown, symlinks both ways and hard links as the README's table says", async () => {
    const report = await doctorJson(cli, NAME, ["/mnt/rw", "/mnt/ro"]);
    assertVerdicts(report, {
      "/mnt/rw": { write: "ok", ...(user ? { chown: "fail" } : {}), symlinkGuest: "ok", symlinkHost: "ok", hardlink: "ok" },
      "/mnt/ro": { readOnly: "ok" },
    }, [dirs.rw, dirs.ro]);
  });

  await t.test("suspend and resume: the memory is restored and every sshfs mount comes back", async () => {
    const token = `shm-${Date.now()}`;
    assert.equal((await sh('echo "$1" > /dev/shm/marker', token)).code, 0);
    const before = sftpServers();
    await cli.ok(["suspend", NAME], { timeoutMs: 5 * 60_000 });
    assert.equal(parseList((await cli.ok(["list", "--json"])).stdout).find((i) => i.name === NAME)?.status, "Suspended");
    const gone = before.filter((p) => isAlive(p));
    assert.deepEqual(gone, [], "the sftp servers end with the suspend");
    await cli.ok(["start", NAME], { timeoutMs: 10 * 60_000 });
    // one guest session: the marker, the mounts back, a read and a write through them
    const back = (await waitMounted(["/mnt/rw", "/mnt/follow", "/mnt/ro"], 'cat /dev/shm/marker; echo @@; cat /mnt/rw/host-write.txt; echo @@; echo after-resume > /mnt/rw/resumed.txt && echo written')).stdout.split("@@\n");
    assert.equal(back[0]?.trim(), token, "resumed, not booted: /dev/shm kept its file");
    assert.equal(sftpServers().length, 3, "one sftp-server per mount again");
    assert.equal(back[1]?.trim(), "from-host");
    assert.equal(back[2]?.trim(), "written");
    assert.equal(readFileSync(join(dirs.rw, "resumed.txt"), "utf8"), "after-resume\n");
  });

  await t.test("stop: the sftp servers end with the VM", async () => {
    const pids = sftpServers();
    await cli.ok(["stop", NAME], { timeoutMs: 5 * 60_000 });
    const alive = pids.filter((p) => isAlive(p));
    assert.deepEqual(alive, []);
  });
});
