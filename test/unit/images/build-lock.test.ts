import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, buildOutputDir, buildSpec } from "../../../src/images/builder/index.js";
import { buildTools, hostArch } from "../../../src/images/builder/preflight.js";
import { BuildLog, run } from "../../../src/images/builder/run.js";
import { isAlive } from "../../../src/proc/pid.js";
import { isTslimaError } from "../../../src/errors.js";
import type { ProgressEvent } from "../../../src/images/types.js";

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tslima-build-lock-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A PATH of do-nothing programs named as the build's tools, so that the preflight passes without them. */
async function fakeTools(dir: string): Promise<NodeJS.ProcessEnv> {
  const bin = join(dir, "bin");
  await mkdir(bin);
  for (const [tool] of buildTools("x86_64", hostArch())) {
    await writeFile(join(bin, tool), "#!/bin/sh\nexit 1\n");
    await chmod(join(bin, tool), 0o755);
  }
  return { PATH: bin };
}

/** Another process that holds the build's lock (a live pid in the lock file), as a concurrent start's build. */
async function holdLock(t: { after: (fn: () => void) => void }, lockPath: string): Promise<() => void> {
  const holder = spawn("sleep", ["60"], { stdio: "ignore" });
  const kill = () => void holder.kill("SIGKILL");
  t.after(kill);
  await writeFile(lockPath, `${holder.pid}\n`);
  return kill;
}

const root = process.getuid?.() === 0;
const needsRoot = root ? false : "the build's preflight needs root";

test("two builds of one image: the second waits for the first's lock, then uses its result instead of building again", { skip: needsRoot }, async (t) => {
  const cacheDir = await tempDir(t);
  const env = await fakeTools(cacheDir);
  const spec = buildSpec("debian-12-docker", "x86_64");
  const dir = buildOutputDir(cacheDir, spec);
  await mkdir(join(cacheDir, "build"), { recursive: true });
  const release = await holdLock(t, `${dir}.lock`);
  const events: ProgressEvent[] = [];
  const second = buildImage({ name: "debian-12-docker", arch: "x86_64", cacheDir, env, onProgress: (e) => events.push(e) });
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(events.some((e) => e.type === "build-step" && e.step === "wait" && e.message.includes(`${dir}.lock`)), "it says what it waits for");
  // the first build finishes (its directory renamed into place, build.json last) and lets go of the lock
  await mkdir(dir);
  await writeFile(join(dir, "build.json"), JSON.stringify({ key: spec.key, buildSeconds: 400, digests: { disk: "", kernel: "", initrd: "" }, cmdline: "c" }));
  release();
  const built = await second;
  assert.equal(built.cached, true);
  assert.equal(built.buildSeconds, 400);
  assert.deepEqual(
    events.filter((e) => e.type === "build-step").map((e) => (e.type === "build-step" ? e.step : "")),
    ["wait"],
    "no build step ran",
  );
});

test("a build interrupted while it waits for the lock ends at once with INTERRUPTED, leaving the other's lock alone", { skip: needsRoot }, async (t) => {
  const cacheDir = await tempDir(t);
  const env = await fakeTools(cacheDir);
  const dir = buildOutputDir(cacheDir, buildSpec("debian-12-docker", "x86_64"));
  await mkdir(join(cacheDir, "build"), { recursive: true });
  await holdLock(t, `${dir}.lock`);
  const before = await readFile(`${dir}.lock`, "utf8");
  const stop = new AbortController();
  const build = buildImage({ name: "debian-12-docker", arch: "x86_64", cacheDir, env, signal: stop.signal });
  setTimeout(() => stop.abort(), 300);
  const t0 = Date.now();
  await assert.rejects(build, (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INTERRUPTED");
  assert.ok(Date.now() - t0 < 2000, "it did not wait for the lock's next poll");
  assert.equal(await readFile(`${dir}.lock`, "utf8"), before);
});

test("a build command interrupted: its whole process group is killed (what it started too), INTERRUPTED", async (t) => {
  const dir = await tempDir(t);
  const stop = new AbortController();
  const log = new BuildLog(join(dir, "build.log"), stop.signal);
  t.after(() => log.close());
  const pidFile = join(dir, "grandchild.pid");
  // as debootstrap starting chroot'ed dpkg: the command's own child must go too
  const running = run(log, ["sh", "-c", `sleep 60 & echo $! >${pidFile}; wait`]);
  let grandchild = 0;
  while (grandchild === 0) {
    await new Promise((r) => setTimeout(r, 50));
    grandchild = Number((await readFile(pidFile, "utf8").catch(() => "0")).trim());
  }
  stop.abort();
  await assert.rejects(running, (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INTERRUPTED");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(isAlive(grandchild), false, "the command's child was killed with it");
  // and nothing more is started once stopped
  await assert.rejects(run(log, ["true"]), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INTERRUPTED");
});
