/**
 * bin/tslima's shell fast path (sh, no Node) against the Node CLI's shell: for the same instance
 * record, arguments and host directory, both must run ssh with exactly the same words. A fake `ssh`
 * on PATH prints its argv (NUL-separated) and its pid; when the launcher's own pid ran ssh, the
 * fast path was taken (it execs ssh), otherwise Node did (ssh is its child). The instance's "host
 * agent" and "qemu" are two idle processes whose command lines name the instance directory, as the
 * status check wants. Also: a record whose process is gone (or recycled) is not trusted.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";
import { instancePaths } from "../../src/store/paths.js";
import { writeShellFacts } from "../../src/store/shell-facts.js";
import { formatShellFast, parseStartTime, processIdentity, writeShellFast } from "../../src/store/shell-fast.js";

const launcher = join(repoRoot, "bin", "tslima");
const root = mkdtempSync(join(tmpdir(), "tslima-shell-fast-"));
const home = join(root, "home");
const bin = join(root, "bin");
const project = join(root, "my project");
const paths = instancePaths(home, "vm");
const facts = {
  home: "/home/me.guest",
  mounts: [
    { location: project, mountPoint: "/mnt/project" },
    { location: join(project, "deep"), mountPoint: "/deeper/" },
    { location: join(root, "it's here/"), mountPoint: "/" },
  ],
};
const idle: ChildProcess[] = [];

function idleProcess(): Promise<number> {
  // an idle process whose command line names the instance directory, like the agent's and qemu's
  const p = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e6)", paths.dir], { stdio: "ignore" });
  idle.push(p);
  return new Promise((resolve) => p.once("spawn", () => resolve(p.pid!)));
}

interface Ran {
  words: string[];
  fast: boolean;
  code: number;
  stderr: string;
}

/** Runs the launcher (with `sh`, or the shell given) with the fake ssh first on PATH. */
function run(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; sh?: string } = {}): Ran {
  const out = join(root, `out-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(o.sh ?? "sh", [launcher, "shell", ...args], {
    cwd: o.cwd ?? root,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TSLIMA_HOME: home, FAKE_SSH_OUT: out, TSLIMA_DEBUG: "", ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  const raw = existsSync(out) ? readFileSync(out, "utf8") : "";
  rmSync(out, { force: true });
  const [pid, ...words] = raw.split("\0").slice(0, -1);
  return { words, fast: pid === String(r.pid), code: r.status ?? 128, stderr: r.stderr };
}

before(async () => {
  mkdirSync(paths.dir, { recursive: true });
  mkdirSync(join(project, "deep", "er"), { recursive: true });
  mkdirSync(join(root, "it's here", "x"), { recursive: true });
  mkdirSync(join(root, "elsewhere"), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(bin, "ssh"), `#!/bin/sh\n{ printf '%s\\0' "$$"; for a; do printf '%s\\0' "$a"; done; } > "$FAKE_SSH_OUT"\n`);
  chmodSync(join(bin, "ssh"), 0o755);
  writeFileSync(paths.limaYaml, "images: [{location: /nowhere.img}]\n");
  writeFileSync(paths.haPid, `${await idleProcess()}\n`);
  writeFileSync(paths.qemuPid, `${await idleProcess()}\n`);
  writeShellFacts(paths, facts);
  writeShellFast(paths, facts, Number(readFileSync(paths.haPid, "utf8")), Number(readFileSync(paths.qemuPid, "utf8")));
});

after(() => {
  for (const p of idle) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

const CASES: Array<{ what: string; args: string[]; cwd?: string }> = [
  { what: "a plain command, outside every mount", args: ["vm", "true"], cwd: join(root, "elsewhere") },
  { what: "words that need quoting", args: ["vm", "echo", "a b", "it's", "$HOME", "", "ü", "a\nb", "--", "-x", "*", "~"] },
  { what: "`--` before the command", args: ["vm", "--", "ls", "-l"] },
  { what: "no command: a login shell", args: ["vm"] },
  { what: "the cwd at a mount's root", args: ["vm", "pwd"], cwd: project },
  { what: "the cwd below a mount", args: ["vm", "pwd"], cwd: join(project, "deep", "er") },
  { what: "a mount at the guest's /, its location with a quote", args: ["vm", "pwd"], cwd: join(root, "it's here", "x") },
];

describe("bin/tslima shell: the fast path runs the same ssh as the Node CLI", { skip: process.platform !== "linux" && "needs /proc" }, () => {
  for (const sh of ["sh", "bash"]) {
    for (const c of CASES) {
      test(`${c.what} (${sh})`, { skip: spawnSync("sh", ["-c", `command -v ${sh}`]).status !== 0 && `${sh} is not installed` }, () => {
        const fast = run(c.args, { ...c, sh });
        const node = run(c.args, { ...c, sh, env: { TSLIMA_SHELL_FAST: "0" } });
        assert.equal(node.code, 0, node.stderr);
        assert.equal(fast.code, 0, fast.stderr);
        assert.ok(fast.fast, "the launcher ran ssh itself");
        assert.ok(!node.fast, "TSLIMA_SHELL_FAST=0 goes through Node");
        assert.deepEqual(fast.words, node.words);
      });
    }
  }

  test("the words are what they should be (not just equal)", () => {
    const r = run(["vm", "echo", "it's"], { cwd: join(project, "deep") });
    const quoted = String.raw`'echo '\''it'\''\'\'''\''s'\'''`;
    assert.deepEqual(r.words, ["-F", paths.sshConfig, "-T", "lima-vm", "--", `cd /deeper || cd /home/me.guest || exit 1 ; exec "$SHELL" -l -c ${quoted}`]);
  });

  test("flags, odd names and TSLIMA_DEBUG go to Node", () => {
    assert.equal(run(["--workdir", "/tmp", "vm", "true"]).fast, false);
    assert.equal(run(["vm", "true"], { env: { TSLIMA_DEBUG: "1" } }).fast, false);
    const odd = run(["../vm", "true"]);
    assert.equal(odd.fast, false);
    assert.equal(odd.code, 1);
  });

  test("a record whose process is gone, or was recycled, is not trusted: Node says why", () => {
    const good = readFileSync(paths.shellFast, "utf8");
    try {
      writeFileSync(paths.shellFast, good.replace(/^(qemu\t\d+\t)(\d+)$/m, (_, a: string, t: string) => `${a}${Number(t) + 1}`));
      const recycled = run(["vm", "true"]);
      assert.equal(recycled.fast, false);
      writeFileSync(paths.shellFast, good.replace(/^qemu\t\d+/m, "qemu\t999999999"));
      assert.equal(run(["vm", "true"]).fast, false);
      rmSync(paths.shellFast);
      const none = run(["vm", "true"]);
      assert.equal(none.fast, false);
      assert.equal(none.code, 0, "Node still serves it (the processes run)");
    } finally {
      writeFileSync(paths.shellFast, good);
    }
  });
});

describe("the shell-fast record", () => {
  test("is not written when a value would break its lines", () => {
    const id = { pid: 1, startTime: "5" };
    assert.equal(formatShellFast({ home: "/h", mounts: [{ location: "/a\tb", mountPoint: "/m" }] }, id, id), undefined);
    assert.equal(formatShellFast({ home: "/h\n", mounts: [] }, id, id), undefined);
    assert.equal(formatShellFast({ home: "/h", mounts: [{ location: "/a b", mountPoint: "/m" }] }, id, id), "tslima-shell-fast 1\nha\t1\t5\nqemu\t1\t5\nhome\t/h\nmount\t/a b\t/m\n");
  });

  test("start time: field 22 of /proc/PID/stat, a command name with blanks and parentheses too", () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3));
    assert.equal(parseStartTime(`42 (a) b (c)) ${rest.join(" ")}`), "22");
    assert.equal(parseStartTime("42 (x) S"), undefined);
    if (process.platform === "linux") assert.match(processIdentity(process.pid)?.startTime ?? "", /^\d+$/);
  });
});
