import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { resolveImage, variantNotBuilt } from "../../../src/images/resolve.js";
import { preflight } from "../../../src/images/builder/preflight.js";
import type { BuildOptions, BuiltImage } from "../../../src/images/builder/index.js";
import type { ProgressEvent } from "../../../src/images/types.js";
import type { Image } from "../../../src/config/types.js";
import { TslimaError, isTslimaError } from "../../../src/errors.js";
import { serve, serveHalfThenDrop, startServer } from "./server.js";

const sha256 = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex");
const qcow2Header = Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), randomBytes(500)]);

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tslima-resolve-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function noBuild(): Promise<BuiltImage> {
  throw new Error("the builder must not run in this test");
}

/** A builder that records what it was asked and "builds" at once, a result under its cache dir. */
function recordingBuilder(calls: BuildOptions[], fail?: (o: BuildOptions) => void): (o: BuildOptions) => Promise<BuiltImage> {
  // eslint-disable-next-line @typescript-eslint/require-await -- rejects, as the real (async) builder does
  return async (o) => {
    calls.push(o);
    fail?.(o);
    const dir = join(o.cacheDir, "build", "x");
    return {
      dir,
      disk: join(dir, "disk.qcow2"),
      kernel: join(dir, "vmlinuz"),
      initrd: join(dir, "initrd.img"),
      cmdline: "root=LABEL=tslima-root ro",
      imageYaml: join(dir, "image.yaml"),
      digests: { disk: "", kernel: "", initrd: "" },
      key: "k",
      buildSeconds: 1,
      cached: true,
    };
  };
}

test("entries are tried in order: a failing one warns and the next one is used", async (t) => {
  const good = randomBytes(10_000);
  const srv = await startServer({ "/good.img": serve(good), "/half.img": serveHalfThenDrop(randomBytes(100_000)) });
  t.after(() => srv.close());
  const home = await tempDir(t);
  const events: ProgressEvent[] = [];
  const images: Image[] = [
    { location: srv.url("/other-arch.img"), arch: "aarch64" },
    { location: srv.url("/missing.img"), arch: "x86_64" },
    { location: srv.url("/half.img"), arch: "x86_64" },
    { location: srv.url("/good.img"), arch: "x86_64", digest: sha256(good) },
  ];
  const r = await resolveImage(
    { arch: "x86_64", images },
    { tslimaHome: home, buildCacheDir: join(home, "b"), onProgress: (e) => events.push(e), build: noBuild },
  );
  assert.equal(r.location, srv.url("/good.img"));
  assert.deepEqual(await readFile(r.disk), good);
  assert.equal(r.diskFormat, "raw");
  assert.ok(r.disk.startsWith(join(home, "_cache", "download", "by-url-sha256")));
  assert.equal(r.kernel, undefined);
  assert.equal(srv.hits.get("/other-arch.img"), undefined, "entries for another arch are skipped");
  const warnings = events.filter((e) => e.type === "warning").map((e) => (e.type === "warning" ? e.message : ""));
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /missing\.img.*HTTP 404/);
  assert.match(warnings[1]!, /half\.img/);
});

test("when every entry fails, one error lists each location and why", async (t) => {
  const body = randomBytes(100);
  const srv = await startServer({ "/bad-digest.img": serve(body) });
  t.after(() => srv.close());
  const home = await tempDir(t);
  const images: Image[] = [
    { location: srv.url("/nope.img"), arch: "x86_64" },
    { location: srv.url("/bad-digest.img"), arch: "x86_64", digest: sha256(Buffer.from("other")) },
    { location: join(home, "does-not-exist.qcow2"), arch: "x86_64" },
  ];
  await assert.rejects(
    resolveImage({ arch: "x86_64", images }, { tslimaHome: home, buildCacheDir: home, build: noBuild }),
    (e: unknown) => {
      assert.ok(isTslimaError(e));
      assert.equal(e.code, "ERR_TSLIMA_IMAGE_UNAVAILABLE");
      const lines = e.message.split("\n").filter((l) => l.startsWith("  - "));
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /nope\.img.*HTTP 404/);
      assert.match(lines[1]!, /bad-digest\.img.*digest mismatch/);
      assert.match(lines[2]!, /does-not-exist\.qcow2.*no such file/);
      assert.ok(e.hint && e.hint.includes("images[]"));
      return true;
    },
  );
});

test("no entry for the arch is an error that names the arch", async (t) => {
  const home = await tempDir(t);
  await assert.rejects(
    resolveImage(
      { arch: "x86_64", images: [{ location: "http://127.0.0.1:9/a.img", arch: "aarch64" }] },
      { tslimaHome: home, buildCacheDir: home, build: noBuild },
    ),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_NONE_FOR_ARCH" && /x86_64/.test(e.message),
  );
});

test("file:// URLs and plain paths (relative to cwd) are used in place, digest checked; qcow2 is detected", async (t) => {
  const dir = await tempDir(t);
  const disk = join(dir, "disk.qcow2");
  await writeFile(disk, qcow2Header);
  const opts = { tslimaHome: dir, buildCacheDir: dir, build: noBuild, cwd: dir };

  const byUrl = await resolveImage(
    { arch: "x86_64", images: [{ location: pathToFileURL(disk).href, arch: "x86_64", digest: sha256(qcow2Header) }] },
    opts,
  );
  assert.equal(byUrl.disk, disk);
  assert.equal(byUrl.diskFormat, "qcow2");

  const byRelative = await resolveImage({ arch: "x86_64", images: [{ location: "disk.qcow2", arch: "x86_64" }] }, opts);
  assert.equal(byRelative.disk, disk);

  await assert.rejects(
    resolveImage(
      { arch: "x86_64", images: [{ location: disk, arch: "x86_64", digest: sha256(Buffer.from("x")) }] },
      opts,
    ),
    /digest mismatch/,
  );
});

test("kernel and initrd entries are fetched with the disk, with the cmdline", async (t) => {
  const disk = randomBytes(4000);
  const kernel = randomBytes(3000);
  const initrd = randomBytes(2000);
  const srv = await startServer({ "/disk": serve(disk), "/vmlinuz": serve(kernel), "/initrd": serve(initrd) });
  t.after(() => srv.close());
  const home = await tempDir(t);
  const image: Image = {
    location: srv.url("/disk"),
    arch: "x86_64",
    kernel: { location: srv.url("/vmlinuz"), arch: "x86_64", digest: sha256(kernel), cmdline: "root=/dev/vda1 console=ttyS0" },
    initrd: { location: srv.url("/initrd"), arch: "x86_64", digest: sha256(initrd) },
  };
  const r = await resolveImage({ arch: "x86_64", images: [image] }, { tslimaHome: home, buildCacheDir: home, build: noBuild });
  assert.deepEqual(await readFile(r.kernel!), kernel);
  assert.deepEqual(await readFile(r.initrd!), initrd);
  assert.equal(r.cmdline, "root=/dev/vda1 console=ttyS0");

  // A kernel that fails makes the whole entry fail, so the next entry is tried.
  const broken: Image = { ...image, kernel: { location: srv.url("/no-kernel"), arch: "x86_64" } };
  const local = join(home, "local.img");
  await writeFile(local, disk);
  const r2 = await resolveImage(
    { arch: "x86_64", images: [broken, { location: local, arch: "x86_64" }] },
    { tslimaHome: home, buildCacheDir: home, build: noBuild },
  );
  assert.equal(r2.disk, local);
  assert.equal(r2.kernel, undefined);
});

test("build:NAME asks the local builder for NAME and the configured arch", async (t) => {
  const home = await tempDir(t);
  const calls: BuildOptions[] = [];
  const build = recordingBuilder(calls);
  const r = await resolveImage(
    { arch: "x86_64", images: [{ location: "http://127.0.0.1:9/unreachable.img", arch: "x86_64" }, { location: "build:debian-12", arch: "x86_64" }] },
    { tslimaHome: home, buildCacheDir: join(home, "cache"), build },
  );
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.name, "debian-12");
  assert.equal(calls[0]!.arch, "x86_64");
  assert.equal(calls[0]!.cacheDir, join(home, "cache"));
  assert.equal(r.location, "build:debian-12");
  assert.equal(r.diskFormat, "qcow2");
  assert.equal(r.disk, join(home, "cache", "build", "x", "disk.qcow2"));
  assert.equal(r.cmdline, "root=LABEL=tslima-root ro");
  assert.ok(r.kernel && r.initrd);
});

test("build:VARIANT not built yet is built at start (no prebuilt-only), with the start's stop signal and progress", async (t) => {
  const home = await tempDir(t);
  const calls: BuildOptions[] = [];
  const stop = new AbortController();
  const onProgress = (): void => {};
  const r = await resolveImage(
    { arch: "x86_64", images: [{ location: "build:debian-12-docker", arch: "x86_64" }, { location: "build:debian-12", arch: "x86_64" }] },
    { tslimaHome: home, buildCacheDir: join(home, "cache"), build: recordingBuilder(calls), signal: stop.signal, onProgress },
  );
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.name, "debian-12-docker");
  assert.notEqual(calls[0]!.prebuiltOnly, true);
  assert.equal(calls[0]!.signal, stop.signal);
  assert.equal(calls[0]!.onProgress, onProgress);
  assert.equal(r.location, "build:debian-12-docker");
  assert.equal(r.disk, join(home, "cache", "build", "x", "disk.qcow2"));
});

/** The builder's own preflight, as a user who is not root (uid 1000) with every tool, or as root without debootstrap. */
const notRoot = (o: BuildOptions) => preflight(o.arch, "debootstrap", {}, () => "/usr/bin/x", 1000);
const noDebootstrap = (o: BuildOptions) => preflight(o.arch, "debootstrap", {}, (tool) => (tool === "debootstrap" ? undefined : "/usr/bin/x"), 0);

test("build:VARIANT that this user cannot build (not root): one error naming the image and the command, no other image tried", async (t) => {
  const home = await tempDir(t);
  const calls: BuildOptions[] = [];
  const events: ProgressEvent[] = [];
  const images: Image[] = [
    { location: "build:debian-12-docker", arch: "x86_64" },
    { location: "build:debian-12", arch: "x86_64" },
  ];
  await assert.rejects(
    resolveImage({ arch: "x86_64", images }, { tslimaHome: home, buildCacheDir: home, build: recordingBuilder(calls, notRoot), onProgress: (e) => events.push(e) }),
    (e: unknown) => {
      assert.ok(isTslimaError(e));
      assert.equal(e.code, "ERR_TSLIMA_IMAGE_NOT_BUILT");
      assert.match(e.message, /^build:debian-12-docker \(x86_64\) is not built yet, and this start cannot build it: .*needs root/);
      assert.equal(e.hint, "build it once with `sudo --preserve-env=HOME,XDG_CACHE_HOME tslima image build debian-12-docker` (minutes; cached afterwards), then start again");
      return true;
    },
  );
  assert.deepEqual(calls.map((c) => c.name), ["debian-12-docker"], "build:debian-12 was not tried");
  assert.deepEqual(events, [], "no warning, no build step");
});

test("build:VARIANT without a build tool: the error says what to install, then the build command", async (t) => {
  const home = await tempDir(t);
  const images: Image[] = [{ location: "build:debian-12-docker", arch: "x86_64" }, { location: "build:debian-12", arch: "x86_64" }];
  await assert.rejects(resolveImage({ arch: "x86_64", images }, { tslimaHome: home, buildCacheDir: home, build: recordingBuilder([], noDebootstrap) }), (e: unknown) => {
    assert.ok(isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_NOT_BUILT");
    assert.match(e.message, /needs debootstrap, not found/);
    assert.equal(e.hint, "apt-get install debootstrap, then build it once with `sudo --preserve-env=HOME,XDG_CACHE_HOME tslima image build debian-12-docker` (minutes; cached afterwards), then start again");
    return true;
  });
});

test("variantNotBuilt: another arch than the host's is named with --arch", () => {
  const lack = new TslimaError("IMAGE_BUILD_ROOT", "building a guest image needs root");
  const e = variantNotBuilt("debian-12-docker", "aarch64", "x86_64", lack);
  assert.match(e.hint ?? "", /`sudo --preserve-env=HOME,XDG_CACHE_HOME tslima image build debian-12-docker --arch aarch64`/);
  assert.doesNotMatch(variantNotBuilt("debian-12-docker", "x86_64", "x86_64", lack).hint ?? "", /--arch/);
});

test("build:debian-12 (not a variant) that cannot be built is a warning and the next entry is used, as before", async (t) => {
  const home = await tempDir(t);
  const disk = join(home, "plain.img");
  await writeFile(disk, "plain");
  const events: ProgressEvent[] = [];
  const r = await resolveImage(
    { arch: "x86_64", images: [{ location: "build:debian-12", arch: "x86_64" }, { location: disk, arch: "x86_64" }] },
    { tslimaHome: home, buildCacheDir: home, build: recordingBuilder([], notRoot), onProgress: (e) => events.push(e) },
  );
  assert.equal(r.disk, disk);
  assert.equal(events.filter((e) => e.type === "warning").length, 1);
});

test("an interrupted build ends the search: no other image is tried", async (t) => {
  const home = await tempDir(t);
  const calls: BuildOptions[] = [];
  const interrupted = () => {
    throw new TslimaError("INTERRUPTED", "the image build was interrupted");
  };
  await assert.rejects(
    resolveImage(
      { arch: "x86_64", images: [{ location: "build:debian-12-docker", arch: "x86_64" }, { location: "build:debian-12", arch: "x86_64" }] },
      { tslimaHome: home, buildCacheDir: home, build: recordingBuilder(calls, interrupted) },
    ),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INTERRUPTED",
  );
  assert.equal(calls.length, 1);
});
