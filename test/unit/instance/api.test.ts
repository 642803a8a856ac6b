import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Instance } from "../../../src/index.js";
import { startRequested } from "../../../src/internal.js";
import { repoRoot } from "../../helpers.js";
import { EXAMPLE_MARKER, readmeExample } from "../../readme-example.js";

const YAML = 'images:\n- location: "build:debian-12"\n  arch: "x86_64"\ncpus: 1\nmemory: "1GiB"\n';

function withHome(fn: (home: string, file: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), "tslima-api-"));
    try {
      const file = join(root, "vm.yaml");
      writeFileSync(file, YAML);
      await fn(join(root, "home"), file);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

test(
  "an instance Instance.create made is deleted when disposed; with dispose: stop it stays",
  withHome(async (home, file) => {
    {
      await using made = await Instance.create(file, { name: "made", home, cpus: 2 });
      assert.equal(made.status(), "Stopped");
      assert.equal(made.info().cpus, 2, "overrides reach lima.yaml");
      assert.deepEqual(Instance.list({ home }).map((i) => i.name), ["made"]);
    }
    assert.equal(existsSync(join(home, "made")), false);
    {
      await using kept = await Instance.create(file, { name: "kept", home, dispose: "stop" });
      assert.equal(kept.disposePolicy, "stop");
    }
    assert.deepEqual(Instance.list({ home }).map((i) => i.name), ["kept"]);
  }),
);

test(
  "Instance.get finds an existing instance and never deletes it on dispose; an unknown name is UNKNOWN_INSTANCE",
  withHome(async (home, file) => {
    await Instance.create(file, { name: "old", home });
    {
      await using got = Instance.get("old", { home });
      assert.equal(got.disposePolicy, "stop");
    }
    assert.equal(existsSync(join(home, "old", "lima.yaml")), true);
    assert.throws(() => Instance.get("nope", { home }), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_UNKNOWN_INSTANCE");
  }),
);

test("the README's library example is found after its marker and uses await using", () => {
  const code = readmeExample(readFileSync(join(repoRoot, "README.md"), "utf8"));
  assert.match(code, /^import \{ Instance \} from "tslima";$/m);
  assert.match(code, /await using vm = await Instance\.create\(/);
  assert.throws(() => readmeExample("# no example"), new RegExp(EXAMPLE_MARKER.slice(0, 20)));
});

test(
  "start's env and user are for the detached host agent: a foreground start refuses them before doing anything",
  withHome(async (home, file) => {
    await Instance.create(file, { name: "fg", home });
    for (const extra of [{ env: { HOME: "/tmp" } }, { user: { uid: 1, gid: 1 } }]) {
      await assert.rejects(startRequested("fg", { home, foreground: true, ...extra }), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_INVALID_FLAG");
    }
    assert.equal(existsSync(join(home, "fg", "ha.stdout.log")), false, "nothing was started");
  }),
);
