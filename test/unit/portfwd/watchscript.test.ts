import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { bashWatcherScript, parseWatcherLine, shWatcherScript, watcherCommand } from "../../../src/portfwd/watchscript.js";
import type { Listener } from "../../../src/portfwd/types.js";

test("parseWatcherLine: LISTEN lines carry the full set; other lines are not snapshots", () => {
  assert.deepEqual(parseWatcherLine("LISTEN 0100007F:1F90 00000000000000000000000000000000:1F90"), [
    { proto: "tcp", ip: "127.0.0.1", port: 8080 },
    { proto: "tcp", ip: "::", port: 8080 },
  ]);
  assert.deepEqual(parseWatcherLine("LISTEN"), []);
  assert.equal(parseWatcherLine("bash: warning: setlocale"), undefined);
  assert.equal(parseWatcherLine(""), undefined);
});

const NEEDS_PROC = { skip: existsSync("/proc/net/tcp") ? false : "needs /proc/net/tcp" };

/** A PATH holding only sh, awk and sleep (no bash): the guest the fallback loop is for. */
function pathWithoutBash(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tslima-nobash-"));
  for (const tool of ["sh", "awk", "sleep"]) {
    const where = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    symlinkSync(where, join(dir, tool));
  }
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const variants: { name: string; argv: () => { cmd: string; args: string[]; env?: NodeJS.ProcessEnv; done?: () => void } }[] = [
  { name: "the guest command (bash present: the fork-free loop)", argv: () => { const [cmd = "sh", ...args] = watcherCommand(1, 3); return { cmd, args }; } },
  { name: "the bash loop alone", argv: () => ({ cmd: "bash", args: ["-c", bashWatcherScript(1, 3)] }) },
  { name: "the sh + awk loop alone", argv: () => ({ cmd: "sh", args: ["-c", shWatcherScript(1, 3)] }) },
  {
    name: "the guest command where the guest has no bash",
    argv: () => {
      const p = pathWithoutBash();
      const [cmd = "sh", ...args] = watcherCommand(1, 3);
      return { cmd: join(p.dir, cmd), args, env: { PATH: p.dir }, done: p.done };
    },
  },
];

test("without bash the guest command runs the sh loop; with bash, bash runs the loop", NEEDS_PROC, () => {
  const p = pathWithoutBash();
  try {
    const [cmd = "sh", , dispatch = "", ...rest] = watcherCommand(1, 3);
    // the dispatcher with `exec bash` replaced by a marker shows which branch each PATH takes
    const probe = dispatch.replace('exec bash -c "$1"', "echo BASH; exit 0").replace(/prev=x; n=0[\s\S]*/, "echo SH");
    assert.equal(spawnSync(join(p.dir, cmd), ["-c", probe, ...rest], { env: { PATH: p.dir }, encoding: "utf8" }).stdout, "SH\n");
    if (spawnSync("sh", ["-c", "command -v bash"]).status === 0) {
      assert.equal(spawnSync(cmd, ["-c", probe, ...rest], { encoding: "utf8" }).stdout, "BASH\n");
    }
  } finally {
    p.done();
  }
});

test("the bash loop and the awk loop report the same listeners", NEEDS_PROC, async (t) => {
  const srv = createServer();
  t.after(() => srv.close());
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const first = (cmd: string, script: string) => {
    const r = spawnSync(cmd, ["-c", script.replace(/echo "LISTEN\$cur" \|\| exit 0/, 'echo "LISTEN$cur"; exit 0')], { encoding: "utf8", timeout: 10_000 });
    return parseWatcherLine(r.stdout.split("\n")[0] ?? "");
  };
  const viaBash = first("bash", bashWatcherScript(1, 3));
  const viaSh = first("sh", shWatcherScript(1, 3));
  assert.ok(viaBash && viaBash.length > 0, "the bash loop printed a LISTEN line");
  assert.deepEqual(viaBash, viaSh);
  const port = (srv.address() as AddressInfo).port;
  assert.ok(viaBash.some((l) => l.port === port && l.proto === "tcp"), `port ${port} is among them`);
});

for (const v of variants) test(`${v.name}: reports a listener appearing and going away`, NEEDS_PROC, async (t) => {
  const a = v.argv();
  if (a.done) t.after(a.done);
  const child = spawn(a.cmd, a.args, { stdio: ["ignore", "pipe", "inherit"], ...(a.env ? { env: a.env } : {}) });
  t.after(() => child.kill("SIGKILL"));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Listener[]> => {
    for (;;) {
      const r = await lines.next();
      assert.ok(!r.done, "the watcher ended");
      const l = parseWatcherLine(r.value);
      if (l) return l;
    }
  };
  const has = (ls: Listener[], port: number) => ls.some((l) => l.port === port && l.ip === "127.0.0.1");

  const srv = createServer();
  t.after(() => srv.close());
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  let snap = await next();
  const deadline = Date.now() + 10_000;
  while (!has(snap, port) && Date.now() < deadline) snap = await next();
  assert.ok(has(snap, port), `port ${port} seen`);
  // Unchanged: it is printed again after `refreshEvery` rounds.
  assert.ok(has(await next(), port));
  await new Promise<void>((r) => srv.close(() => r()));
  while (has(snap, port) && Date.now() < deadline + 10_000) snap = await next();
  assert.ok(!has(snap, port), `port ${port} gone`);
});
