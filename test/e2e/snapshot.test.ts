/**
 * Booted snapshots, end to end (issue 11): a VM made from the run's base snapshot (harness), a
 * snapshot of it taken with the CLI while it runs on, two instances made from that snapshot with
 * `tslima start --from` running side by side (memory restored, each with its own disk overlay,
 * hostname, ssh port and clock), refusals, instances that keep working after their snapshot is
 * deleted, and a state QEMU cannot load: that start boots cold instead (its own cloud-init run;
 * followed on the serial console until systemd runs from the instance's disk chain, then
 * interrupted). Every VM belongs to a library object or to cli's home (Cli.cleanup).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { createFromSnapshot, Instance, isTslimaError, type RunningInstance, type SnapshotInstanceConfig } from "../../src/index.js";
import { instancePaths } from "../../src/store/paths.js";
import { macAddress } from "../../src/qemu/options.js";
import { runProgram } from "../../src/proc/run.js";
import { readSnapshot } from "../../src/store/snapshot.js";
import { BASE_SNAPSHOT, baseSnapshot, bootGuest, Cli, parseList, snapshotHome } from "./harness.js";
import { systemdFromRoot } from "./serial-facts.js";

const cli = new Cli("snapshot");
const LONG = { timeout: 30 * 60_000 };
const token = randomBytes(6).toString("hex");
let source: RunningInstance | undefined;

before(async () => {
  await baseSnapshot();
}, LONG);
after(async () => {
  await source?.[Symbol.asyncDispose]();
  await cli.cleanup(["src", "a", "b", "c", "d"]);
});

async function sh(name: string, script: string): Promise<string> {
  const r = await cli.run(["shell", name, "--", "sh", "-c", script]);
  assert.equal(r.code, 0, `${name}: ${script}\n${r.stderr}`);
  return r.stdout.trim();
}

async function backing(file: string): Promise<string | undefined> {
  const r = await runProgram("qemu-img", ["info", "--output=json", "-U", file]);
  return (JSON.parse(r.stdout) as { "backing-filename"?: string })["backing-filename"];
}

test("an instance from the base snapshot resumes instead of booting, under its own name", LONG, async () => {
  const events: string[] = [];
  const messages: string[] = [];
  source = await bootGuest(cli, {
    from: "base-snapshot",
    name: "src",
    onEvent: (e) => {
      events.push(e.kind === "step" ? e.step : "");
      if (e.kind === "message") messages.push(e.message);
    },
  });
  assert.ok(events.includes("restore-state"), `the harness resumed the base snapshot (steps: ${events.join(" ")})`);
  assert.ok(!events.includes("wait-cloud-init"), "no boot ran");
  assert.equal(await sh("src", "hostname"), "lima-src");
  assert.equal(await backing(instancePaths(cli.home, "src").diffdisk), "snapshotdisk", "its disk is an overlay over the snapshot's");
  // the start's phases, said before READY (issue 30)
  const timings = messages.find((m) => m.startsWith("timings: ")) ?? "";
  for (const phase of ["agent startup", "QEMU spawn", "state load", "ssh", "clock", "reidentify: ssh again", "host-resolver"]) assert.match(timings, new RegExp(`[:,] ${phase}( \\([^)]*\\))? \\d`), phase);
  // its host resolver has the snapshot source's port when free, which its guest is pointed at already
  const port = Number(readFileSync(join(instancePaths(cli.home, "src").dir, "host-resolver.port"), "utf8"));
  const snap = readSnapshot(snapshotHome, BASE_SNAPSHOT);
  assert.ok(!("problem" in snap) && snap.record.hostResolverPort !== undefined, "the snapshot records its source's host resolver port");
  if (port === snap.record.hostResolverPort) assert.ok(!messages.some((m) => m.startsWith("host resolver:")), `resolved was not restarted: ${messages.join(" | ")}`);
  assert.match(await sh("src", "resolvectl status --no-pager | sed -n '/^Global/,/^$/p'"), new RegExp(`192\\.168\\.5\\.2:${port}\\b`), "the guest asks this instance's host resolver");
});

test("snapshot create --running: the source runs on, with its memory and mounts", LONG, async () => {
  await sh("src", `echo ${token} > /dev/shm/marker && echo ${token} > ~/on-disk`);
  const r = await cli.run(["snapshot", "create", "--running", "src", "s1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Snapshot s1 of src is taken/);
  assert.equal(await sh("src", "cat /dev/shm/marker"), token, "the source runs on with its memory");
  await sh("src", "echo after > ~/after-snapshot");
  const list = await cli.ok(["snapshot", "list", "--json"]);
  const rows = parseList(list.stdout);
  assert.deepEqual(rows.map((x) => [x.name, x.source]), [["s1", "src"]]);
  const again = await cli.run(["snapshot", "create", "--running", "src", "s1"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ERR_TSLIMA_SNAPSHOT_EXISTS/);
});

test("two instances from one snapshot run side by side: memory restored, own overlay, hostname, ssh port, clock", LONG, async () => {
  for (const n of ["a", "b"]) {
    const r = await cli.run(["start", "--from", "s1", n]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Restoring the state saved at/);
  }
  const rows = parseList((await cli.ok(["list", "--json"])).stdout);
  const byName = new Map(rows.map((x) => [x.name, x]));
  assert.equal(byName.get("a")?.status, "Running");
  assert.equal(byName.get("b")?.status, "Running");
  assert.notEqual(byName.get("a")?.sshLocalPort, byName.get("b")?.sshLocalPort, "each has its own ssh port");
  for (const n of ["a", "b"]) {
    assert.equal(await sh(n, "hostname"), `lima-${n}`);
    assert.match(await sh(n, "cat /etc/hosts"), new RegExp(`127\\.0\\.1\\.1\\s+lima-${n}\\b`));
    assert.equal(await sh(n, "cat /dev/shm/marker"), token, "the snapshot's memory (tmpfs) is restored");
    assert.equal(await sh(n, "cat ~/on-disk"), token, "the snapshot's disk is there");
    assert.equal(await sh(n, "test -e ~/after-snapshot && echo yes || echo no"), "no", "written after the snapshot: not in it");
    // the guest's time is read somewhere between t0 and t1 (ssh takes a while under load)
    const t0 = Date.now() / 1000;
    const guestNow = Number(await sh(n, "date +%s.%N"));
    const t1 = Date.now() / 1000;
    assert.ok(guestNow > t0 - 2 && guestNow < t1 + 2, `${n}'s clock is within 2 s of the host's (guest ${guestNow.toFixed(2)}, host ${t0.toFixed(2)}..${t1.toFixed(2)})`);
    assert.equal(await backing(instancePaths(cli.home, n).diffdisk), "snapshotdisk");
  }
  await sh("a", "echo only-a > ~/mine");
  assert.equal(await sh("b", "cat ~/mine 2>/dev/null || echo none"), "none", "each writes to its own overlay");
  const a = instancePaths(cli.home, "a");
  const snap = join(cli.home, "_snapshots", "s1");
  assert.equal(statSync(a.snapshotDisk).ino, statSync(join(snap, "disk")).ino, "the snapshot's disk is linked, not copied");
  // nothing is anyone else's (store/private.ts): directories 0700, disks 0600, the snapshot's frozen files (disk and RAM) 0400
  const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);
  for (const dir of [cli.home, a.dir, instancePaths(cli.home, "src").dir, join(cli.home, "_snapshots"), snap]) assert.equal(modeOf(dir), "700", dir);
  for (const f of [a.diffdisk, instancePaths(cli.home, "src").diffdisk, a.serialLog, a.haStdoutLog]) assert.equal(modeOf(f), "600", f);
  for (const f of ["disk", "vmstate", "basedisk", "snapshot.json", "lima.yaml"]) assert.equal(modeOf(join(snap, f)), "400", f);
});

test("instances from one snapshot have identities of their own: VM generation id, machine-id, ssh host key, RNG output; a MAC for their cold boots", LONG, async () => {
  const snap = join(cli.home, "_snapshots", "s1");
  const keyOf = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(" ");
  const snapshotKey = keyOf(readFileSync(join(snap, "ssh_host_ed25519_key.pub"), "utf8"));
  const seen = { machineId: new Set<string>(), key: new Set<string>([snapshotKey]), mac: new Set<string>(), rng: new Set<string>(), guid: new Set<string>() };
  seen.machineId.add(await sh("src", "cat /etc/machine-id"));
  seen.mac.add(macAddress("src"));
  // read right after each resume, in both: the guest kernel reseeded when its generation id changed
  const rng = await Promise.all(["a", "b"].map((n) => sh(n, "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'")));
  for (const [i, n] of ["a", "b"].entries()) {
    const p = instancePaths(cli.home, n);
    assert.equal(await sh(n, "test -e /sys/bus/acpi/drivers/vmgenid/QEMUVGID:00 && echo bound"), "bound", `${n}: the guest's vmgenid driver has the device`);
    const guid = readFileSync(p.vmgenid, "utf8").trim();
    const cmdline = readFileSync(`/proc/${readFileSync(p.qemuPid, "utf8").trim()}/cmdline`, "utf8").split("\0");
    assert.ok(cmdline.includes(`vmgenid,guid=${guid}`), `${n}: QEMU runs with its own vmgenid device: ${cmdline.join(" ")}`);
    seen.guid.add(guid);
    const machineId = await sh(n, "cat /etc/machine-id");
    assert.match(machineId, /^[0-9a-f]{32}$/);
    seen.machineId.add(machineId);
    assert.equal(await sh(n, "cat /var/lib/dbus/machine-id 2>/dev/null || cat /etc/machine-id"), machineId, `${n}: dbus reads the same`);
    const own = keyOf(readFileSync(`${p.hostKey}.pub`, "utf8"));
    assert.equal(keyOf(await sh(n, "cat /etc/ssh/ssh_host_ed25519_key.pub")), own, `${n}: the guest holds the instance's own host key`);
    assert.equal(await sh(n, "ls /etc/ssh | grep -c '^ssh_host_.*_key$' || true"), "1", `${n}: no other host key shared with the snapshot`);
    assert.equal(readFileSync(p.knownHosts, "utf8").trim(), `lima-${n} ${own}`, `${n}: its own key is pinned`);
    assert.equal(existsSync(p.resumeHostKey), false);
    const port = Number(/^\s*Port\s+(\d+)/m.exec(readFileSync(p.sshConfig, "utf8"))?.[1]);
    const scan = spawnSync("ssh-keyscan", ["-t", "ed25519", "-p", String(port), "127.0.0.1"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(keyOf(scan.stdout.split("\n").find((l) => l.startsWith("[127.0.0.1]"))?.replace(/^\S+\s+/, "") ?? ""), own, `${n}: sshd serves it: ${scan.stdout}${scan.stderr}`);
    seen.key.add(own);
    // a MAC of its own on QEMU's command line, for its cold boots: the restored NIC keeps the snapshot's
    assert.ok(cmdline.includes(`virtio-net-pci,netdev=net0,mac=${macAddress(n)}`), cmdline.join(" "));
    seen.mac.add(macAddress(n));
    assert.match(rng[i]!, /^[0-9a-f]{64}$/);
    seen.rng.add(rng[i]!);
  }
  assert.equal(seen.guid.size, 2, "a VM generation id each");
  assert.equal(seen.machineId.size, 3, "a machine-id each, none the snapshot source's");
  assert.equal(seen.key.size, 3, "a host key each, none the snapshot's");
  assert.equal(seen.mac.size, 3, "a MAC address each");
  assert.equal(seen.rng.size, 2, "different random numbers");
});

test("an instance from a snapshot with a mount of its own: reverse-sshfs, made by the resume", LONG, async () => {
  const dir = join(cli.root, "own-mount");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "from-host.txt"), "host\n");
  const r = await cli.run(["start", "--from", "s1", "--mount", `${dir}:w`, "d"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Restoring the state saved at/);
  assert.equal(await sh("d", "cat /dev/shm/marker"), token, "resumed, not booted");
  assert.match(readFileSync(instancePaths(cli.home, "d").limaYaml, "utf8"), /^mountType: reverse-sshfs$/m);
  assert.equal((await sh("d", `findmnt -n -o FSTYPE --target ${dir}`)).trim(), "fuse.sshfs");
  assert.equal(await sh("d", `cat ${dir}/from-host.txt`), "host", "the host's file is seen in the guest");
  await sh("d", `echo guest > ${dir}/from-guest.txt`);
  assert.equal(readFileSync(join(dir, "from-guest.txt"), "utf8"), "guest\n", "a guest write reaches the host");
  assert.equal(await sh("a", `test -e ${dir} && echo yes || echo no`), "no", "the other instances have no such mount");
  const typed = await cli.run(["start", "--from", "s1", "--mount", dir, "--mount-type", "9p", "e"]);
  assert.equal(typed.code, 1);
  assert.match(typed.stderr, /cannot have 9p mounts[\s\S]*ERR_TSLIMA_SNAPSHOT_MISMATCH/);
  assert.equal(existsSync(join(cli.home, "e")), false, "nothing was created");
  await cli.ok(["delete", "-f", "d"]);
});

test("refusals: an unknown snapshot, flags that change the guest, another config", LONG, async () => {
  const missing = await cli.run(["start", "--from", "nope", "c"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ERR_TSLIMA_SNAPSHOT_NOT_FOUND/);
  const cpus = await cli.run(["start", "--from", "s1", "--cpus", "2", "c"]);
  assert.equal(cpus.code, 1);
  assert.match(cpus.stderr, /--cpus/);
  assert.match(cpus.stderr, /ERR_TSLIMA_SNAPSHOT_MISMATCH/);
  await assert.rejects(
    // a field the types leave out, as a JavaScript caller may pass it: refused at run time too
    Instance.fromSnapshot("s1", { name: "c", home: cli.home, config: { provision: [{ mode: "system", script: "true" }] } as SnapshotInstanceConfig }),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_SNAPSHOT_MISMATCH" && /provision/.test(e.message),
  );
  assert.equal(existsSync(join(cli.home, "c")), false, "nothing was created");
});

test("after its snapshot is deleted its instances work; a state QEMU cannot load boots cold in the same start, with its own cloud-init run", LONG, async () => {
  await createFromSnapshot("s1", "c", { home: cli.home });
  await cli.ok(["snapshot", "delete", "s1"]);
  assert.equal(existsSync(join(cli.home, "_snapshots", "s1")), false);
  assert.equal(await sh("b", "cat ~/on-disk"), token, "a running instance does not notice");
  // only c from here: the others' CPU time would slow its cold boot down
  await source?.[Symbol.asyncDispose]();
  source = undefined;
  await cli.ok(["delete", "-f", "a", "b"]);
  // a damaged state of the recorded size (the link to the snapshot's file is replaced, not written)
  const c = instancePaths(cli.home, "c");
  const size = statSync(c.vmState).size;
  rmSync(c.vmState);
  writeFileSync(c.vmState, Buffer.alloc(size, 0x5a));
  assert.equal((await cli.ok(["list", "c"])).stdout.includes("Suspended"), true);
  // Followed until the serial console shows the kernel and systemd starting afresh from c's disk
  // chain (its layers linked out of the deleted snapshot); the rest of a cold boot with a cloud-init
  // run of its own is what the other files follow to READY, so Ctrl-C stops it there.
  let pid = 0;
  const t0 = Date.now();
  const running = cli.run(["start", "--timeout", "25m", "c"], { timeoutMs: 26 * 60_000, onSpawn: (p) => (pid = p) });
  let finished = false;
  void running.then(() => (finished = true));
  let log = "";
  while (!finished && Date.now() - t0 < 25 * 60_000 && !systemdFromRoot(log)) {
    await sleep(1000);
    log = existsSync(c.serialLog) ? readFileSync(c.serialLog, "utf8") : "";
  }
  assert.ok(systemdFromRoot(log), `no cold boot in c's serial log:\n${log.slice(-2000)}\n${finished ? (await running).stderr : ""}`);
  assert.match(log, /Linux version \d/, "the kernel booted");
  // its own cloud-init run: the cidata this start wrote names c
  const meta = spawnSync("isoinfo", ["-J", "-i", c.cidataIso, "-x", "/meta-data"], { encoding: "utf8" });
  assert.equal(meta.status, 0, meta.stderr);
  assert.match(meta.stdout, /^local-hostname: lima-c$/m, meta.stdout);
  if (!finished) process.kill(pid, "SIGINT");
  const r = await running;
  assert.match(r.stderr, /restoring the saved state of c failed .*booting it instead/);
  assert.match(r.stderr, /cloud-init: full run/);
  assert.equal(existsSync(c.vmState), false, "the state is discarded");
  assert.equal(String(parseList((await cli.ok(["list", "--json", "c"])).stdout)[0]?.status), "Stopped");
  // the chain the boot read: c's own layers, nothing of the deleted snapshot
  assert.equal(await backing(c.diffdisk), "snapshotdisk");
  assert.equal(await backing(c.snapshotDisk), "basedisk");
});
