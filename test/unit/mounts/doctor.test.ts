import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { doctorMounts, isTslimaError } from "../../../src/internal.js";
import { fixturesDir } from "../../helpers.js";
import { spawnSync } from "node:child_process";
import { MOUNTS_DOCTOR_PROBE_PL, MOUNTS_DOCTOR_PROBE_PY } from "../../../src/guest/embedded.js";
import {
  advice,
  CHECKS,
  doctorTable,
  GUEST_PROBE_SCRIPT,
  mountReport,
  parseProbeOutput,
  parseQemuFsdevs,
  type CheckName,
  type MountFacts,
  type Status,
} from "../../../src/mounts/doctor.js";

const dir = join(fixturesDir, "doctor");
/** Facts recorded from real guests (`tslima doctor mounts NAME --json --raw`, the `raw` field of a mount). */
const fixture = (name: string): MountFacts => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as MountFacts;

test("parseProbeOutput: key, status, detail; other lines are ignored", () => {
  const p = parseProbeOutput("id\tok\tlima\nnoise\nchown\tfail\tchown: changing ownership of 'own': Operation not permitted\nx\tskip\tnot tested (no setfattr)\nbad\tmaybe\t\n");
  assert.deepEqual(p, {
    id: { status: "ok", out: "lima" },
    chown: { status: "fail", out: "chown: changing ownership of 'own': Operation not permitted" },
    x: { status: "skip", out: "not tested (no setfattr)" },
  });
});

test("parseQemuFsdevs: path (a doubled comma is a comma), security model, readonly", () => {
  const argv = ["qemu-system-x86_64", "-fsdev", "local,id=fsdev0,path=/a,,b,security_model=mapped-xattr", "-device", "virtio-9p-pci,id=fs0", "-fsdev", "local,id=fsdev1,path=/ro,security_model=none,readonly=on"];
  assert.deepEqual(parseQemuFsdevs(argv), [
    { path: "/a,b", securityModel: "mapped-xattr", readonly: false },
    { path: "/ro", securityModel: "none", readonly: true },
  ]);
});

test("the probe hands its python and perl parts over as written in src/guest/mounts", () => {
  const head = GUEST_PROBE_SCRIPT.slice(0, GUEST_PROBE_SCRIPT.indexOf('\nD="$1"'));
  const value = (name: string) => spawnSync("sh", ["-c", `${head}\nprintf %s "$${name}"`], { encoding: "utf8" }).stdout;
  assert.equal(value("PROBE_PY"), MOUNTS_DOCTOR_PROBE_PY);
  assert.equal(value("PROBE_PL"), MOUNTS_DOCTOR_PROBE_PL);
  assert.equal(value("CHOWN_TO"), "1234:2345");
  assert.match(GUEST_PROBE_SCRIPT, /^ {2}python3 -c "\$PROBE_PY" "\$D" \$X$/m);
  assert.match(GUEST_PROBE_SCRIPT, /^ {2}perl -e "\$PROBE_PL" "\$D"$/m);
});

test("advice names the reason and the option that changes it", () => {
  const none = { type: "9p" as const, configured: { securityModel: "none" }, qemu: { securityModel: "none", readonly: false }, mountPoint: "/m" };
  assert.equal(
    advice("chown", none, "refused"),
    "chown refused: 9p securityModel none; use mapped-xattr (chown kept in xattrs; symlinks then become files on the host) or virtiofs with a root virtiofsd",
  );
  const mx = { ...none, configured: { securityModel: "mapped-xattr" }, qemu: { securityModel: "mapped-xattr", readonly: false } };
  assert.match(advice("symlinkGuest", mx, ""), /^guest symlinks become regular files on the host: 9p securityModel mapped-xattr/);
  assert.match(advice("mmapShared", { ...none, configured: { cache: "fscache" } }, "x"), /9p cache fscache .* use 9p cache: mmap/);
  assert.match(advice("chown", { type: "reverse-sshfs", configured: {}, qemu: null, mountPoint: "/m" }, ""), /sftp-server runs as your host user/);
  assert.match(advice("chown", { type: "virtiofs", configured: {}, qemu: null, mountPoint: "/m" }, ""), /virtiofsd runs unprivileged/);
});

/** Expected statuses per fixture: the README's semantics table, as the guests really behaved. */
const EXPECTED: Record<string, { checks: Partial<Record<CheckName, Status>>; problems: RegExp[] }> = {
  // QEMU as root: securityModel none really chowns on the host
  "9p-none.root-qemu": {
    checks: { write: "ok", chown: "ok", chownRemount: "ok", symlinkGuest: "ok", symlinkHost: "ok", hardlink: "ok", rename: "ok", mode: "ok", mmapShared: "ok", flock: "ok", fcntlLock: "ok", unixSocket: "fail", readOnly: "n/a" },
    problems: [/^unix sockets cannot be created \(No such device\) on 9p securityModel none; put sockets on the guest's own file system/],
  },
  "9p-mapped-xattr.root-qemu": {
    checks: { write: "ok", chown: "ok", chownRemount: "ok", symlinkGuest: "fail", symlinkHost: "fail", hardlink: "ok", mode: "fail", unixSocket: "ok" },
    problems: [/^guest symlinks become regular files on the host: 9p securityModel mapped-xattr/, /^host symlinks cannot be followed in the guest: 9p securityModel mapped-xattr/, /^modes differ \(chmod 750: host sees 600\)/],
  },
  "9p-read-only.root-qemu": { checks: { readOnly: "ok", write: "n/a", chown: "n/a" }, problems: [] },
  // sftp-server as an unprivileged host user (test/e2e/mounts-sshfs)
  "sshfs-rw.unprivileged": {
    checks: { write: "ok", chown: "fail", chownRemount: "not-tested", symlinkGuest: "ok", symlinkHost: "ok", hardlink: "ok", rename: "ok", mode: "ok", xattr: "fail", mmapShared: "ok", unixSocket: "fail", sparse: "ok", flock: "ok", fcntlLock: "ok" },
    problems: [/^chown refused: reverse-sshfs's sftp-server runs as your host user/, /^user\.\* xattrs refused \(not supported\) on reverse-sshfs/, /^unix sockets cannot be created \(Operation not permitted\) on reverse-sshfs/],
  },
  "sshfs-read-only": { checks: { readOnly: "ok", write: "n/a" }, problems: [] },
  // Debian's C virtiofsd as root (test/e2e/mounts-virtiofs): real chown; user xattrs off by default
  "virtiofs-rw.root-daemon": {
    checks: { write: "ok", chown: "ok", chownRemount: "ok", symlinkGuest: "ok", symlinkHost: "ok", hardlink: "ok", xattr: "fail", unixSocket: "ok", mmapShared: "ok" },
    problems: [/^user\.\* xattrs refused \(not supported\) on virtiofs/],
  },
  "virtiofs-read-only": { checks: { readOnly: "ok", write: "n/a" }, problems: [] },
};

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`verdicts of ${name} (recorded)`, () => {
    const r = mountReport(fixture(name));
    assert.deepEqual(Object.keys(r.checks), [...CHECKS], "every check, in CHECKS order");
    for (const [k, s] of Object.entries(want.checks)) assert.equal(r.checks[k as CheckName].status, s, `${k}: ${r.checks[k as CheckName].detail}`);
    assert.equal(r.problems.length, want.problems.length, r.problems.join("\n"));
    want.problems.forEach((re, i) => assert.match(r.problems[i] ?? "", re));
  });
}

test("every fixture is judged; failing checks always come with advice", () => {
  const names = readdirSync(dir).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5));
  for (const n of names) assert.ok(Object.hasOwn(EXPECTED, n), `${n}.json has no expected verdicts`);
  for (const n of names) {
    const r = mountReport(fixture(n));
    assert.equal(r.problems.length, CHECKS.filter((k) => r.checks[k].status === "fail").length, n);
  }
});

test("mapped-xattr keeps chown in user.virtfs.* xattrs, none as the real owner (QEMU as root)", () => {
  assert.match(mountReport(fixture("9p-mapped-xattr.root-qemu")).checks.chown.detail, /^kept in user\.virtfs\.\* xattrs; host owner 0:0, user\.virtfs\.\* .*uid=1234/);
  assert.match(mountReport(fixture("9p-none.root-qemu")).checks.chown.detail, /^the real owner on the host; host owner 1234:2345/);
});

test("chown refused by an unprivileged QEMU: the advice names mapped-xattr; no remount is tried", () => {
  const f = fixture("9p-none.root-qemu");
  const root = { ...f.root, chown: { status: "fail" as const, out: "chown: changing ownership of 'own': Operation not permitted" }, owner: { status: "ok" as const, out: "1000:1000" } };
  const r = mountReport({ ...f, root, remount: undefined, hostRoot: { ...f.hostRoot, owner: "1000:1000" } });
  assert.equal(r.checks.chown.status, "fail");
  assert.equal(r.checks.chown.detail, "refused (Operation not permitted); host owner 1000:1000");
  assert.equal(r.checks.chownRemount.status, "not-tested");
  assert.equal(r.problems[0], advice("chown", r, ""));
});

test("a busy mount: the remount is not tested, and says so", () => {
  const f = fixture("9p-mapped-xattr.root-qemu");
  const r = mountReport({ ...f, remount: parseProbeOutput("remount\tskip\tbusy\n") });
  assert.deepEqual(r.checks.chownRemount, { status: "not-tested", detail: "busy" });
});

test("no python3/perl, no setfattr: those checks are not tested, not failed", () => {
  const f = fixture("9p-none.root-qemu");
  const strip = (p: MountFacts["root"]) => {
    const out = { ...p };
    for (const k of ["fcntl", "mmap", "socket", "xattr"]) out[k] = { status: "skip", out: "not tested (no python3/perl)" };
    return out;
  };
  const r = mountReport({ ...f, root: strip(f.root), user: strip(f.user) });
  for (const k of ["fcntlLock", "mmapShared", "unixSocket", "xattr"] as const) assert.deepEqual(r.checks[k], { status: "not-tested", detail: "not tested (no python3/perl)" });
});

test("as root and as the user: differing results name the role", () => {
  const f = fixture("9p-none.root-qemu");
  const r = mountReport({ ...f, user: { ...f.user, odirect: { status: "fail", out: "dd: failed to open 'od': Invalid argument" } } });
  assert.deepEqual(r.checks.oDirect, { status: "fail", detail: "root: ok; user: Invalid argument" });
});

test("a mount missing from /proc/mounts: nothing is tested, one problem says so", () => {
  const f = fixture("9p-none.root-qemu");
  const r = mountReport({ ...f, procMounts: "/dev/vda1 / ext4 rw 0 0\n" });
  assert.equal(r.guest, null);
  assert.ok(CHECKS.every((k) => r.checks[k].status === "not-tested"));
  assert.match(r.problems.join("\n"), /^not mounted: \/mnt\/none/);
});

test("a read-only mount that accepts a write fails, with advice", () => {
  const f = fixture("9p-read-only.root-qemu");
  const r = mountReport({ ...f, readOnly: parseProbeOutput("ls\tok\t\nrowrite\tok\t\n") });
  assert.equal(r.checks.readOnly.status, "fail");
  assert.match(r.problems[0] ?? "", /^a read-only mount accepted a write .*QEMU's readonly=on is missing/);
});

test("sshfs: the hard link is there (host nlink 2) though the guest shows 1; sparse is judged on the host", () => {
  const r = mountReport(fixture("sshfs-rw.unprivileged"));
  assert.equal(r.checks.hardlink.detail, "nlink 2 on the host, 1 in the guest");
  assert.equal(r.checks.sparse.detail, "sparse on the host; the guest shows 67108864 bytes allocated");
});

test("doctorTable: one row per mount, one column per check", () => {
  const t = doctorTable({ instance: "x", mounts: ["9p-none.root-qemu", "9p-mapped-xattr.root-qemu", "9p-read-only.root-qemu"].map((n) => mountReport(fixture(n))) });
  const lines = t.split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0] ?? "", /^MOUNT +TYPE +RW +write +chown +remount +symlink>host +symlink<host +hardlink/);
  assert.match(lines[2] ?? "", /^\/mnt\/mx +9p mapped-xattr +rw +ok +ok +ok +FAIL +FAIL +ok/);
  assert.match(lines[3] ?? "", /^\/mnt\/ro +9p none +ro +ok$/);
});

test("doctorMounts on a stopped instance: NOT_RUNNING with the hint to start it; an unknown one: UNKNOWN_INSTANCE", async () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-doctor-"));
  try {
    mkdirSync(join(home, "x"));
    writeFileSync(join(home, "x", "lima.yaml"), "images:\n- location: /nonexistent.qcow2\n");
    await assert.rejects(doctorMounts("x", { home }), (e: unknown) => {
      assert.ok(isTslimaError(e));
      assert.equal(e.code, "ERR_TSLIMA_NOT_RUNNING");
      assert.equal(e.message, "instance x is Stopped");
      assert.equal(e.hint, "start it: tslima start x");
      return true;
    });
    await assert.rejects(doctorMounts("nope", { home }), { code: "ERR_TSLIMA_UNKNOWN_INSTANCE" });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
