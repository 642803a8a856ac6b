import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerdArchive } from "../../../src/hostagent/containerd.js";
import type { ContainerdArchive } from "../../../src/config/types.js";
import { testConfig } from "../support/config.js";
import { serve, startServer } from "../images/server.js";

const body = Buffer.from("a nerdctl-full archive ".repeat(100));
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function setup() {
  const home = mkdtempSync(join(tmpdir(), "tslima-containerd-"));
  const server = await startServer({ "/nerdctl-full.tgz": serve(body) });
  const warnings: string[] = [];
  const run = (archives: ContainerdArchive[], mode = { system: true, user: false }) =>
    containerdArchive(testConfig({ containerd: { ...mode, archives } }), home, (m) => warnings.push(m));
  const cached = () => (existsSync(join(home, "_cache")) ? readdirSync(join(home, "_cache"), { recursive: true }).map(String).filter((p) => p.endsWith("data")) : []);
  return {
    home, server, warnings, run, cached,
    [Symbol.asyncDispose]: async () => {
      await server.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

test("a digest mismatch is refused: one warning naming the field, the URL, the reason and how to turn it off; nothing cached", async () => {
  await using t = await setup();
  const url = t.server.url("/nerdctl-full.tgz");
  assert.equal(await t.run([{ location: url, arch: "x86_64", digest: `sha256:${"0".repeat(64)}` }]), undefined);
  assert.equal(t.warnings.length, 1);
  assert.match(t.warnings[0] ?? "", /^containerd\.system: no nerdctl-full archive could be had \(http:\/\/127\.0\.0\.1:\d+\/nerdctl-full\.tgz: .*digest mismatch.*\); containerd is not installed.*containerd: \{system: false, user: false\}/);
  assert.deepEqual(t.cached(), []);
});

test("the first archive of the arch that can be had, through the download cache, with its digest", async () => {
  await using t = await setup();
  const url = t.server.url("/nerdctl-full.tgz");
  const archives: ContainerdArchive[] = [
    { location: t.server.url("/missing.tgz"), arch: "aarch64" },
    { location: t.server.url("/gone.tgz"), arch: "x86_64" },
    { location: url, arch: "x86_64", digest: sha256(body) },
  ];
  const got = await t.run(archives, { system: false, user: true });
  assert.deepEqual(got && { digest: got.digest, data: readFileSync(got.path) }, { digest: sha256(body), data: body });
  assert.equal(t.server.hits.get("/missing.tgz"), undefined, "another arch's archive is not fetched");
  assert.deepEqual(t.warnings, [], "an archive that failed before one that worked: no warning");
  // cached: not fetched again; without a digest in lima.yaml the file's sha256 is the guest's marker
  assert.deepEqual(await t.run([{ location: url, arch: "x86_64" }]), got);
  assert.equal(t.server.hits.get("/nerdctl-full.tgz"), 1);
});

test("nothing asked: nothing fetched; no archive of the arch: one warning", async () => {
  await using t = await setup();
  assert.equal(await t.run([{ location: t.server.url("/nerdctl-full.tgz"), arch: "x86_64" }], { system: false, user: false }), undefined);
  assert.equal(await t.run([{ location: t.server.url("/nerdctl-full.tgz"), arch: "aarch64" }], { system: true, user: true }), undefined);
  assert.deepEqual(t.server.hits.size, 0);
  assert.equal(t.warnings.length, 1);
  assert.match(t.warnings[0] ?? "", /^containerd\.system and containerd\.user: containerd\.archives has no archive for arch x86_64/);
});
