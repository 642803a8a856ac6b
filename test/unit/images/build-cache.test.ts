import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, buildOutputDir, buildSpec } from "../../../src/images/builder/index.js";
import { buildTools, hostArch, preflight, USER_EMULATOR } from "../../../src/images/builder/preflight.js";
import { binfmtUsable } from "../../../src/images/builder/binfmt.js";
import { removeStaleWorkDirs } from "../../../src/images/builder/workdir.js";
import { pruneBuilds, pruneDownloads } from "../../../src/images/prune.js";
import { globalPaths } from "../../../src/store/paths.js";
import { isTslimaError } from "../../../src/errors.js";

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tslima-build-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("a completed build with the same inputs is returned at once, without building", async (t) => {
  const cacheDir = await tempDir(t);
  const spec = buildSpec("debian-12", "x86_64");
  const dir = buildOutputDir(cacheDir, spec);
  assert.equal(dir, join(cacheDir, "build", `debian-12-x86_64-${spec.key}`));
  await mkdir(dir, { recursive: true });
  const digests = { disk: "sha256:a", kernel: "sha256:b", initrd: "sha256:c" };
  await writeFile(join(dir, "build.json"), JSON.stringify({ key: spec.key, buildSeconds: 321, digests, cmdline: "root=LABEL=x" }));
  const events: string[] = [];
  const built = await buildImage({ name: "debian-12", arch: "x86_64", cacheDir, onProgress: (e) => events.push(e.type) });
  assert.equal(built.cached, true);
  assert.equal(built.dir, dir);
  assert.equal(built.disk, join(dir, "disk.qcow2"));
  assert.equal(built.buildSeconds, 321);
  assert.equal(built.cmdline, "root=LABEL=x");
  assert.deepEqual(events, ["build-done"]);
});

test("--output pointing at a different build is refused", async (t) => {
  const out = await tempDir(t);
  await writeFile(join(out, "build.json"), JSON.stringify({ key: "0123456789ab" }));
  await assert.rejects(
    buildImage({ name: "debian-12", arch: "x86_64", cacheDir: out, output: out }),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_OUTPUT" && /--output/.test(e.hint ?? ""),
  );
});

test("preflight names the apt packages of missing tools, and wants root", () => {
  const arch = hostArch() ?? "x86_64";
  const missing = new Set(["debootstrap", "mcopy", "mmd"]);
  assert.throws(
    () => preflight(arch, "debootstrap", {}, (tool) => (missing.has(tool) ? undefined : `/usr/bin/${tool}`), 0),
    (e: unknown) =>
      isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_TOOLS" && e.hint === "apt-get install debootstrap mtools",
  );
  assert.throws(
    () => preflight(arch, "debootstrap", {}, (tool) => `/usr/bin/${tool}`, 1000),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_ROOT",
  );
  assert.doesNotThrow(() => preflight(arch, "debootstrap", {}, (tool) => `/usr/bin/${tool}`, 0));
  assert.throws(
    () => preflight(arch, "mmdebstrap", {}, (tool) => (tool === "mmdebstrap" ? undefined : `/usr/bin/${tool}`), 0),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_TOOLS" && e.hint === "apt-get install mmdebstrap",
  );
});

test("preflight for another arch also wants QEMU's user-mode emulator and binfmt-support", () => {
  const host = hostArch() ?? "x86_64";
  const other = host === "x86_64" ? "aarch64" : "x86_64";
  const emulator = USER_EMULATOR[other]!;
  assert.deepEqual(buildTools(host, host).map(([t]) => t).includes(emulator), false);
  assert.throws(
    () => preflight(other, "debootstrap", {}, (tool) => (tool === emulator || tool === "update-binfmts" ? undefined : `/usr/bin/${tool}`), 0),
    (e: unknown) =>
      isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_TOOLS" && e.message.includes(emulator) &&
      e.hint === "apt-get install qemu-user-static binfmt-support",
  );
  assert.doesNotThrow(() => preflight(other, "debootstrap", {}, (tool) => `/usr/bin/${tool}`, 0));
  // mmdebstrap refuses a foreign arch without arch-test (apt only recommends it)
  assert.equal(buildTools(other, host, "debootstrap").some(([t]) => t === "arch-test"), false);
  assert.throws(
    () => preflight(other, "mmdebstrap", {}, (tool) => (tool === "arch-test" ? undefined : `/usr/bin/${tool}`), 0),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_TOOLS" && e.message.includes("arch-test") && e.hint === "apt-get install arch-test",
  );
  assert.throws(
    () => preflight("riscv64", "debootstrap", {}, (tool) => `/usr/bin/${tool}`, 0),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_ARCH",
  );
});

test("binfmtUsable: the entry must be enabled and open its interpreter at registration (F flag)", () => {
  const entry = (state: string, flags: string) =>
    `${state}\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`;
  assert.equal(binfmtUsable(entry("enabled", "PF")), true);
  assert.equal(binfmtUsable(entry("enabled", "OCF")), true);
  assert.equal(binfmtUsable(entry("disabled", "PF")), false);
  assert.equal(binfmtUsable(entry("enabled", "P")), false);
  assert.equal(binfmtUsable(""), false);
});

test("work directories of dead builds are removed, live ones kept", async (t) => {
  const parent = await tempDir(t);
  const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
  await mkdir(join(parent, `.tmp-debian-12-x86_64-abc-${dead}`, "root"), { recursive: true });
  await mkdir(join(parent, `.tmp-debian-12-x86_64-abc-${process.pid}`));
  removeStaleWorkDirs(parent);
  assert.deepEqual(await readdir(parent), [`.tmp-debian-12-x86_64-abc-${process.pid}`]);
});

test("prune empties the download cache; --builds removes builds but not one in progress", async (t) => {
  const home = await tempDir(t);
  const cache = globalPaths(home).downloadCache;
  await mkdir(join(cache, "aa"), { recursive: true });
  await writeFile(join(cache, "aa", "data"), "x".repeat(5000));
  const d = await pruneDownloads(home);
  assert.equal(d.removed, 1);
  assert.ok(d.bytes > 0);
  assert.deepEqual(await readdir(cache), []);

  const builds = join(home, "bc");
  await mkdir(join(builds, "build", "debian-12-x86_64-aaa"), { recursive: true });
  await mkdir(join(builds, "build", "debian-12-x86_64-bbb"), { recursive: true });
  await writeFile(join(builds, "build", "debian-12-x86_64-bbb.lock"), "1");
  await mkdir(join(builds, "debs"), { recursive: true });
  const b = await pruneBuilds(builds);
  assert.equal(b.removed, 1);
  assert.ok(!existsSync(join(builds, "build", "debian-12-x86_64-aaa")));
  assert.ok(existsSync(join(builds, "build", "debian-12-x86_64-bbb")));
  assert.ok(!existsSync(join(builds, "debs")));
});
