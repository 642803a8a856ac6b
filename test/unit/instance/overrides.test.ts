import { test } from "node:test";
import assert from "node:assert/strict";
import { overridesToSets, parseMountFlag } from "../../../src/instance/overrides.js";

test("flags become applySets expressions, mounts appended after the template's", () => {
  const sets = overridesToSets(
    { cpus: 2, memory: "1", disk: "20GiB", mountType: "virtiofs", mountInotify: true, mounts: ["/src:w", "rel"], sets: [".ssh.localPort=0"] },
    "mounts:\n- location: /a\n",
    "/work",
  );
  assert.deepEqual(sets, [
    ".cpus=2",
    '.memory="1GiB"',
    '.disk="20GiB"',
    '.mountType="virtiofs"',
    ".mountInotify=true",
    '.mounts[1]={"location":"/src","writable":true}',
    '.mounts[2]={"location":"/work/rel","writable":false}',
    ".ssh.localPort=0",
  ]);
  assert.deepEqual(overridesToSets({}, "", "/"), []);
});

test("bad flags are errors naming the flag", () => {
  assert.throws(() => overridesToSets({ cpus: 0 }, "", "/"), /--cpus/);
  assert.throws(() => overridesToSets({ memory: "lots" }, "", "/"), /--memory/);
  assert.throws(() => parseMountFlag(":w", "/"), /--mount/);
  assert.deepEqual(parseMountFlag("/x/y:w", "/"), { location: "/x/y", writable: true });
});
