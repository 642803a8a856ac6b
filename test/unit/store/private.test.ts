/**
 * store/private.ts: what tslima creates is its user's alone whatever the umask, and a TSLIMA_HOME or
 * instance directory others could write in (or another user owns) is refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTslimaError } from "../../../src/errors.js";
import { createInstance } from "../../../src/instance/create.js";
import { requireInstance } from "../../../src/instance/lookup.js";
import { createDisk } from "../../../src/instance/disk.js";
import { ensureUserKey } from "../../../src/ssh/key.js";
import { writeFileAtomic } from "../../../src/store/atomic.js";
import { instancePaths, globalPaths } from "../../../src/store/paths.js";
import { makePrivateDir, privacyProblem, requirePrivateDir } from "../../../src/store/private.js";
import { snapshotWorkDir } from "../../../src/store/snapshot.js";
import { repoRoot } from "../../helpers.js";

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), "tslima-private-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const mode = (p: string) => statSync(p).mode & 0o7777;
const YAML = "images: [{location: /nowhere.img, arch: x86_64}]\n";

test("under umask 0, a new TSLIMA_HOME and everything tslima makes in it is 0700 (directories) or 0600 (files)", async (t) => {
  const root = tmp(t);
  const home = join(root, "new", "home");
  const old = process.umask(0);
  try {
    const yaml = join(root, "vm.yaml");
    writeFileSync(yaml, YAML);
    const { paths } = await createInstance(yaml, { home, name: "vm" });
    assert.equal(mode(join(root, "new")), 0o700, "a missing parent of TSLIMA_HOME too");
    assert.equal(mode(home), 0o700);
    assert.equal(mode(paths.dir), 0o700);
    assert.equal(mode(paths.limaYaml), 0o600);
    await ensureUserKey(home);
    const g = globalPaths(home);
    assert.equal(mode(g.configDir), 0o700);
    assert.equal(mode(g.userKey), 0o600);
    await createDisk("data", { home, size: "1M" });
    assert.equal(mode(join(home, "_disks")), 0o700);
    assert.equal(mode(join(home, "_disks", "data")), 0o700);
    assert.equal(mode(join(home, "_disks", "data", "datadisk")), 0o600);
    const work = snapshotWorkDir(home, "s");
    assert.equal(mode(join(home, "_snapshots")), 0o700);
    assert.equal(mode(work.dir), 0o700);
    makePrivateDir(g.downloadCache);
    assert.equal(mode(join(home, "_cache")), 0o700);
    writeFileAtomic(paths.shellFacts, "{}");
    assert.equal(mode(paths.shellFacts), 0o600, "writeFileAtomic's default");
  } finally {
    process.umask(old);
  }
});

test("an existing directory keeps its mode; one made under a umask that removes the owner's bits is still 0700", (t) => {
  const root = tmp(t);
  const kept = join(root, "kept");
  mkdirSync(kept, { mode: 0o755 });
  assert.equal(makePrivateDir(kept), false);
  assert.equal(mode(kept), 0o755);
  const old = process.umask(0o777);
  try {
    assert.equal(makePrivateDir(join(root, "a", "b")), true);
  } finally {
    process.umask(old);
  }
  assert.equal(mode(join(root, "a")), 0o700);
  assert.equal(mode(join(root, "a", "b")), 0o700);
});

test("a group- or world-writable TSLIMA_HOME or instance directory is refused, naming the fix", async (t) => {
  const home = join(tmp(t), "home");
  const yaml = join(home, "..", "vm.yaml");
  writeFileSync(yaml, YAML);
  const { paths } = await createInstance(yaml, { home, name: "vm" });
  assert.equal(requireInstance(home, "vm").dir, paths.dir);
  const refused = (dir: string, why: RegExp) => (e: unknown) => {
    assert.ok(isTslimaError(e) && e.code === "ERR_TSLIMA_UNSAFE_DIRECTORY", String(e));
    assert.match(e.message, why);
    assert.equal(e.hint, `chmod 700 ${dir}`);
    return true;
  };
  chmodSync(home, 0o770);
  assert.throws(() => requireInstance(home, "vm"), refused(home, /TSLIMA_HOME .* writable by its group \(mode 0770\)/));
  await assert.rejects(createInstance(yaml, { home, name: "other" }), refused(home, /TSLIMA_HOME/));
  chmodSync(home, 0o755);
  chmodSync(paths.dir, 0o703);
  assert.throws(() => requireInstance(home, "vm"), refused(paths.dir, /instance directory .* writable by others/));
  chmodSync(paths.dir, 0o700);
  requireInstance(home, "vm");
});

test("the owner rule: another user's directory is refused, except for root", () => {
  assert.match(privacyProblem({ uid: 1001, mode: 0o40700 }, 1000) ?? "", /owned by uid 1001, not by you \(uid 1000\)/);
  assert.equal(privacyProblem({ uid: 1001, mode: 0o40700 }, 0), undefined, "root may use a home it gave to the agent's user");
  assert.equal(privacyProblem({ uid: 1000, mode: 0o40755 }, 1000), undefined, "0755 is not writable by others");
  assert.match(privacyProblem({ uid: 0, mode: 0o40777 }, 0) ?? "", /writable by its group/);
});

test("another user's TSLIMA_HOME is refused for real (as nobody)", { skip: process.getuid?.() !== 0 && "needs root (to run as nobody)" }, (t) => {
  const root = tmp(t);
  chmodSync(root, 0o755);
  const home = join(root, "home");
  mkdirSync(home, { mode: 0o755 });
  const script = `import { requirePrivateDir } from ${JSON.stringify(join(repoRoot, "dist", "src", "store", "private.js"))};
try { requirePrivateDir(${JSON.stringify(home)}, "TSLIMA_HOME"); console.log("accepted"); } catch (e) { console.log(e.code, e.hint); }`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { uid: 65534, gid: 65534, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ERR_TSLIMA_UNSAFE_DIRECTORY use a TSLIMA_HOME of your own \(set TSLIMA_HOME\), or have its owner hand it over: chown -R 65534 /);
  requirePrivateDir(home, "TSLIMA_HOME"); // its owner (root) uses it
  assert.equal(instancePaths(home, "x").dir, join(home, "x"));
});
