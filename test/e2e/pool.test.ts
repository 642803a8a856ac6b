/**
 * End to end, through the library: a warm pool of instances made from the run's base snapshot
 * (`Instance.pool`). Two are made ready; one is acquired at once (the time it took is printed) and
 * runs a command; another acquired one has its own hostname; disposing an acquired one deletes it;
 * the pool refills to two; a throw inside `await using` leaves no VM; disposing the pool leaves no
 * instance in the home and no QEMU of it running. A second pool in the same home takes names of its
 * own, and the pool of a process killed without closing it is deleted by the next tslima command.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../helpers.js";
import { Instance } from "../../src/index.js";
import { isAlive } from "../../src/proc/pid.js";
import { runProgram } from "../../src/proc/run.js";
import { BASE_SNAPSHOT, baseSnapshot, Cli, shareUserKey, snapshotHome } from "./harness.js";

const cli = new Cli("pool");
const BOOT = { timeout: 20 * 60_000 };

after(() => cli.cleanup());

/** Processes whose command line mentions the test's home (QEMU, the agents, ssh), as pgrep -af prints them. */
async function leftovers(): Promise<string> {
  const r = await runProgram("pgrep", ["-af", cli.home], { timeoutMs: 10_000 });
  return r.stdout.trim();
}

/** An acquired instance's name, QEMU pid and hostname. */
async function facts(vm: { name: string; info(): { driverPID?: number }; exec(argv: string[]): Promise<{ exitCode: number | null; stdout: string }> }) {
  const r = await vm.exec(["hostname"]);
  assert.equal(r.exitCode, 0, `hostname runs in ${vm.name}`);
  const pid = vm.info().driverPID;
  assert.ok(pid !== undefined && pid > 0, `${vm.name} reports its QEMU pid`);
  return { name: vm.name, pid, hostname: r.stdout.trim() };
}

function gone(f: { name: string; pid: number }, what: string): void {
  assert.equal(isAlive(f.pid), false, `${what}: its QEMU (pid ${f.pid}) has ended`);
  assert.equal(existsSync(join(cli.home, f.name)), false, `${what}: instance ${f.name} is deleted`);
}

test("a warm pool: ready, acquire at once, exec, own identities, dispose, refill, a throw, close", BOOT, async () => {
  await baseSnapshot();
  assert.ok(shareUserKey(cli));
  let closing: number;
  {
    await using pool = Instance.pool(BASE_SNAPSHOT, { home: cli.home, snapshotHome, size: 2 });
    const t0 = performance.now();
    await pool.ready();
    console.log(`# pool.ready() of 2 instances took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(pool.readyCount, 2);
    assert.deepEqual(Instance.list({ home: cli.home }).map((i) => [i.name, i.status]).sort(), [["pool-base-1", "Running"], ["pool-base-2", "Running"]]);

    const t1 = performance.now();
    await using a = await pool.acquire();
    console.log(`# pool.acquire() of a ready instance took ${(performance.now() - t1).toFixed(1)} ms`);
    const fa = await facts(a);
    let fb: Awaited<ReturnType<typeof facts>>;
    {
      await using b = await pool.acquire();
      fb = await facts(b);
      assert.notEqual(fa.name, fb.name);
      assert.notEqual(fa.hostname, fb.hostname, "each instance has its own hostname");
    }
    gone(fb, "an acquired instance disposed");

    await pool.ready();
    assert.equal(pool.readyCount, 2, "the pool refilled to its size");
    const names = Instance.list({ home: cli.home }).map((i) => i.name);
    assert.equal(names.length, 3, `two in the pool and the one acquired: ${names.join(", ")}`);
    assert.ok(!names.includes(fb.name) && names.includes(fa.name));

    let fc: Awaited<ReturnType<typeof facts>> | undefined;
    await assert.rejects(async () => {
      await using c = await pool.acquire();
      fc = await facts(c);
      throw new Error("the block failed");
    }, /the block failed/);
    assert.ok(fc);
    gone(fc, "an acquired instance whose block threw");
    closing = performance.now();
  }
  console.log(`# disposing the acquired instance and the pool (a refill in progress) took ${((performance.now() - closing) / 1000).toFixed(1)} s`);
  assert.deepEqual(Instance.list({ home: cli.home }), [], "disposing the pool (and the acquired instance) leaves no instance");
  assert.equal(await leftovers(), "", "no QEMU, agent or ssh of the home is left");
});

test("pools share a home without sharing names; a killed process's pool is deleted by the next tslima command", BOOT, async () => {
  await baseSnapshot();
  assert.ok(shareUserKey(cli));
  const library = pathToFileURL(join(repoRoot, "dist", "src", "index.js")).href;
  const script = cli.file(
    "holder.mjs",
    `import { Instance } from ${JSON.stringify(library)};
const pool = Instance.pool("${BASE_SNAPSHOT}", { home: process.argv[2], snapshotHome: process.argv[3], size: 1 });
await pool.ready();
console.log("ready " + Instance.list({ home: process.argv[2] }).map((i) => i.name).join(","));
setInterval(() => undefined, 60_000);
`,
  );
  const holder = spawn(process.execPath, [script, cli.home, snapshotHome], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  holder.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  try {
    while (!out.includes("\n")) {
      const [code] = (await Promise.race([once(holder.stdout, "data"), once(holder, "exit")])) as unknown[];
      assert.ok(typeof code !== "number", `the holder exited (${String(code)}) before its pool was ready`);
    }
  } catch (e) {
    holder.kill("SIGKILL");
    throw e;
  }
  assert.equal(out.trim(), "ready pool-base-1");
  {
    await using pool = Instance.pool(BASE_SNAPSHOT, { home: cli.home, snapshotHome, size: 1 });
    await pool.ready();
    assert.deepEqual(Instance.list({ home: cli.home }).map((i) => i.name).sort(), ["pool-base-1", "pool-base-2"], "the second pool skipped the name the first holds");
    holder.kill("SIGKILL");
    await once(holder, "exit");
    const r = await cli.run(["list", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /deleted instance pool-base-1: its owner \(Instance\.pool of snapshot base\) has ended/);
    assert.equal(r.stdout.trim(), "pool-base-2", "this process's pool is left alone");
  }
  assert.deepEqual(Instance.list({ home: cli.home }), []);
  assert.equal(await leftovers(), "", "no QEMU, agent or ssh of the home is left");
});
