import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { debianMirror, parseAptSources, pickMirror } from "../../../src/images/builder/mirror.js";
import { isTslimaError } from "../../../src/errors.js";

const deb822 = `Types: deb
# a comment
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

test("parseAptSources reads deb822 and one-line files; pickMirror takes the suite's own main entry", () => {
  const a = parseAptSources(deb822, true);
  assert.equal(a.length, 2);
  assert.equal(pickMirror(a, "bookworm"), "http://mirror.example/debian");
  const b = parseAptSources(
    "# x\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main non-free\n",
    false,
  );
  assert.deepEqual(b, [{ uri: "http://one.example/debian", suites: ["bookworm"], components: ["main", "non-free"] }]);
  assert.equal(pickMirror(b, "bookworm"), "http://one.example/debian");
  assert.equal(pickMirror(b, "trixie"), undefined);
});

test("debianMirror: TSLIMA_DEBIAN_MIRROR wins, else apt's sources, else an error with a hint", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "tslima-apt-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "sources.list.d"));
  assert.throws(
    () => debianMirror("bookworm", {}, dir),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_BUILD_MIRROR" && /TSLIMA_DEBIAN_MIRROR/.test(e.hint ?? ""),
  );
  await writeFile(join(dir, "sources.list.d", "debian.sources"), deb822);
  await writeFile(join(dir, "sources.list.d", "other.list.disabled"), "deb http://no.example/debian bookworm main\n");
  assert.equal(debianMirror("bookworm", {}, dir), "http://mirror.example/debian");
  assert.equal(debianMirror("bookworm", { TSLIMA_DEBIAN_MIRROR: "http://env.example/debian/" }, dir), "http://env.example/debian");
});
