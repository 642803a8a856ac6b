/**
 * End to end, through the library as a TypeScript program uses it, on the locally built Debian 12
 * guest: the README's library example runs as it stands (extracted from README.md, compiled with
 * TypeScript, run with node), and `await using` leaves no VM behind even when its block throws
 * (on an instance made from the run's base snapshot, `Instance.fromSnapshot`).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { Instance } from "../../src/index.js";
import { isAlive } from "../../src/proc/pid.js";
import { runProgram } from "../../src/proc/run.js";
import { repoRoot } from "../helpers.js";
import { BASE_SNAPSHOT, baseSnapshot, Cli, guestYaml, shareUserKey, snapshotHome } from "./harness.js";
import { readmeExample } from "../readme-example.js";

const cli = new Cli("library");
const snapCli = new Cli("library-snap");
const BOOT = { timeout: 15 * 60_000 };

/** Processes whose command line mentions this test's root (QEMU, the agent, ssh), as pgrep -af prints them. */
async function leftovers(): Promise<string> {
  const r = await runProgram("pgrep", ["-af", cli.root], { timeoutMs: 10_000 });
  return r.stdout.trim();
}

after(async () => {
  await cli.cleanup(["example"]);
  await snapCli.cleanup(["thrower"]);
});

test("the README's library example runs as written and leaves nothing behind", BOOT, async () => {
  const library = pathToFileURL(join(repoRoot, "dist", "src", "index.js")).href;
  const source = readmeExample(readFileSync(join(repoRoot, "README.md"), "utf8")).replace(/from "tslima"/, `from ${JSON.stringify(library)}`);
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const script = cli.file("example.mjs", js);
  const yaml = cli.file("example.yaml", guestYaml());
  // a temporary directory of its own, to see that the example cleans up after itself
  const tmp = join(cli.root, "tmp");
  mkdirSync(tmp, { recursive: true });
  const r = await runProgram(process.execPath, [script, yaml], { env: cli.env({ TMPDIR: tmp }), cwd: cli.root, timeoutMs: 14 * 60_000 });
  assert.equal(r.code, 0, `the example failed:\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(r.stdout.trim().split("\n"), ["0 Linux", "18000", "3 hello from the host oops", "true", "made in the guest", "[]"]);
  assert.equal(existsSync(join(cli.home, "example")), false, "the instance it created is deleted");
  assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith("tslima-example-")), [], "its temporary directory is removed");
  assert.equal(await leftovers(), "", "no QEMU, agent or ssh of the example is left");
});

test("await using an instance from a booted snapshot: it resumes, and is stopped and deleted when the block throws", BOOT, async () => {
  await baseSnapshot();
  // a home of its own: the example above gave cli's home a user key the snapshot's guest does not know
  const cli = snapCli;
  assert.ok(shareUserKey(cli));
  let qemuPid: number | undefined;
  let events = 0;
  let resumed = false;
  await assert.rejects(async () => {
    await using vm = await Instance.fromSnapshot(BASE_SNAPSHOT, {
      name: "thrower",
      home: cli.home,
      snapshotHome,
      config: { message: "this is {{.Name}}" },
      onEvent: (e) => {
        events++;
        resumed ||= e.kind === "ready" && e.resumed === true;
      },
    });
    assert.ok(resumed, "it resumed the snapshot's state instead of booting");
    qemuPid = vm.info().driverPID;
    assert.equal(vm.message, "this is thrower", "the agent fills the config's message and start passes it on");
    assert.equal((await vm.exec(["true"])).exitCode, 0);
    throw new Error("the test body failed");
  }, /the test body failed/);
  assert.ok(qemuPid !== undefined && qemuPid > 0, "the running instance reports its QEMU pid");
  assert.ok(events > 0, "start reported the agent's events");
  assert.equal(isAlive(qemuPid), false, `qemu (pid ${qemuPid}) is gone after the block`);
  assert.equal(existsSync(join(cli.home, "thrower")), false, "the instance is deleted");
  assert.deepEqual(Instance.list({ home: cli.home }), []);
});
