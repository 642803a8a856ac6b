/**
 * bin/tslima's shell fast path (sh, no Node) against the Node CLI's shell: for the same instance
 * record, arguments and host directory, both must run ssh with exactly the same words. A fake `ssh`
 * on PATH prints its argv (NUL-separated) and its pid; when the launcher's own pid ran ssh, the
 * fast path was taken (it execs ssh), otherwise Node did (ssh is its child). The instance's "host
 * agent" and "qemu" are two idle processes whose command lines name the instance directory, as the
 * status check wants. Also: a record whose process is gone (or recycled) is not trusted, nor one
 * that lacks a process, nor a TSLIMA_HOME or instance directory that is not private, nor a name Node
 * refuses; and a property test compares both paths over generated words, working directories and
 * mount tables, and the names the launcher takes with Node's name rule.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import fc from "fast-check";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";
import { shellQuote } from "../../src/proc/quote.js";
import { instancePaths } from "../../src/store/paths.js";
import { writeShellFacts } from "../../src/store/shell-facts.js";
import { formatShellFast, parseStartTime, processIdentity, writeShellFast } from "../../src/store/shell-fast.js";
import type { ShellFacts } from "../../src/store/shell-facts.js";
import { instanceNameProblem } from "../../src/instance/names.js";

const launcher = join(repoRoot, "bin", "tslima");
const root = mkdtempSync(join(tmpdir(), "tslima-shell-fast-"));
const home = join(root, "home");
const bin = join(root, "bin");
/** A fake `node` (exit 3): the launcher's fallback without the cost of Node, where only the choice matters. */
const noNode = join(root, "no-node");
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
/** The host directories the property test runs from (inside and outside the mounts it generates). */
const CWDS = [root, project, join(project, "deep"), join(project, "deep", "er"), join(root, "my project2"), join(root, "it's here", "x"), join(root, "elsewhere"), join(root, "a b", "ü $x")];

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

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  sh?: string;
  /** Without Node: the fallback exits 3 at once (see noNode). */
  noNode?: boolean;
  /** Under `script` (a pseudo-terminal): stdin and stdout both terminals, or one of them redirected. */
  tty?: "both" | "stdin" | "stdout";
}

/** Runs the launcher (with `sh`, or the shell given) with the fake ssh first on PATH. */
function run(args: string[], o: RunOptions = {}): Ran {
  const out = join(root, `out-${Math.random().toString(36).slice(2)}`);
  const argv = [launcher, "shell", ...args];
  const sh = o.sh ?? "sh";
  const redirect = o.tty === "stdin" ? " >/dev/null" : o.tty === "stdout" ? " </dev/null" : "";
  const [cmd, cmdArgs] = o.tty === undefined ? [sh, argv] : ["script", ["-qec", `${[sh, ...argv].map((a) => shellQuote(a)).join(" ")}${redirect}`, "/dev/null"]];
  const r = spawnSync(cmd, cmdArgs, {
    cwd: o.cwd ?? root,
    env: { ...process.env, PATH: `${o.noNode ? `${noNode}:` : ""}${bin}:${process.env.PATH}`, TSLIMA_HOME: home, FAKE_SSH_OUT: out, TSLIMA_DEBUG: "", ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  const raw = existsSync(out) ? readFileSync(out, "utf8") : "";
  rmSync(out, { force: true });
  const [pid, parent, ...words] = raw.split("\0").slice(0, -1);
  // the launcher execs ssh (same pid); Node runs it as its child. Under script, the parent tells.
  const fast = o.tty === undefined ? pid === String(r.pid) : parent !== undefined && parent !== "node";
  return { words, fast, code: r.status ?? 128, stderr: r.stderr };
}

/** The record both paths read: shell.json for Node, shell-fast for the launcher. */
function record(f: ShellFacts): void {
  writeShellFacts(paths, f);
  writeShellFast(paths, f, Number(readFileSync(paths.haPid, "utf8")), Number(readFileSync(paths.qemuPid, "utf8")));
}

before(async () => {
  mkdirSync(paths.dir, { recursive: true });
  mkdirSync(join(project, "deep", "er"), { recursive: true });
  mkdirSync(join(root, "it's here", "x"), { recursive: true });
  mkdirSync(join(root, "elsewhere"), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(bin, "ssh"), `#!/bin/sh\n{ printf '%s\\0' "$$" "$(cat /proc/$PPID/comm)"; for a; do printf '%s\\0' "$a"; done; } > "$FAKE_SSH_OUT"\n`);
  chmodSync(join(bin, "ssh"), 0o755);
  mkdirSync(noNode);
  writeFileSync(join(noNode, "node"), "#!/bin/sh\nexit 3\n");
  chmodSync(join(noNode, "node"), 0o755);
  for (const d of CWDS) mkdirSync(d, { recursive: true });
  writeFileSync(paths.limaYaml, "images: [{location: /nowhere.img}]\n");
  writeFileSync(paths.haPid, `${await idleProcess()}\n`);
  writeFileSync(paths.qemuPid, `${await idleProcess()}\n`);
  record(facts);
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

  test("the home is found as Node finds it: TSLIMA_HOME, else LIMA_HOME, else ~/.tslima", () => {
    for (const sh of ["dash", "bash"]) {
      assert.equal(run(["vm", "true"], { sh, noNode: true, env: { TSLIMA_HOME: "", LIMA_HOME: home } }).fast, true, `LIMA_HOME (${sh})`);
      assert.equal(run(["vm", "true"], { sh, noNode: true, env: { TSLIMA_HOME: join(root, "elsewhere"), LIMA_HOME: home } }).fast, false, `TSLIMA_HOME first (${sh})`);
      assert.equal(run(["vm", "true"], { sh, noNode: true, env: { TSLIMA_HOME: "", LIMA_HOME: "", HOME: join(root, "elsewhere") } }).fast, false, `neither: ~/.tslima (${sh})`);
    }
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

  test("a record without the agent's or QEMU's line is not trusted (fail closed)", () => {
    const good = readFileSync(paths.shellFast, "utf8");
    try {
      for (const kind of ["ha", "qemu"]) {
        writeFileSync(paths.shellFast, good.replace(new RegExp(`^${kind}\t.*\n`, "m"), ""));
        for (const sh of ["dash", "bash"]) assert.equal(run(["vm", "true"], { sh, noNode: true }).fast, false, `no ${kind} line (${sh})`);
      }
      writeFileSync(paths.shellFast, good.replace(/^(ha\t\d+)\t\d+$/m, "$1"));
      assert.equal(run(["vm", "true"], { sh: "dash", noNode: true }).fast, false, "an ha line without a start time");
    } finally {
      writeFileSync(paths.shellFast, good);
    }
  });

  test("a process whose /proc/PID/stat line is cut short (a newline in its name) sends dash to Node, not to an abort", { skip: spawnSync("python3", ["-c", ""]).status !== 0 && "needs python3 (prctl)" }, async () => {
    const good = readFileSync(paths.shellFast, "utf8");
    const p = spawn("python3", ["-c", "import ctypes, time\nctypes.CDLL(None).prctl(15, b'x) 1\\nshort', 0, 0, 0)\nprint('named', flush=True)\ntime.sleep(600)"], { stdio: ["ignore", "pipe", "ignore"] });
    idle.push(p);
    await new Promise((resolve) => p.stdout.once("data", resolve));
    try {
      const id = processIdentity(p.pid!);
      assert.ok(id !== undefined);
      writeFileSync(paths.shellFast, good.replace(/^ha\t\d+\t\d+$/m, `ha\t${id.pid}\t${id.startTime}`));
      for (const sh of ["dash", "bash"]) {
        const r = run(["vm", "true"], { sh, noNode: true });
        assert.equal(r.fast, false, sh);
        assert.equal(r.code, 3, `${sh} went on to Node (the fake one exits 3): ${r.stderr}`);
      }
    } finally {
      p.kill("SIGKILL");
      writeFileSync(paths.shellFast, good);
    }
  });

  test("a TSLIMA_HOME or instance directory others may write, or another user owns, goes to Node, which refuses it", () => {
    const refused = (what: string) => {
      const fast = run(["vm", "true"], { noNode: true });
      assert.equal(fast.fast, false, what);
      const node = run(["vm", "true"]);
      assert.equal(node.fast, false);
      assert.equal(node.code, 1, what);
      assert.match(node.stderr, /is not private[\s\S]*hint: chmod 700[\s\S]*ERR_TSLIMA_UNSAFE_DIRECTORY/, what);
    };
    try {
      chmodSync(home, 0o775);
      refused("a group-writable TSLIMA_HOME");
      chmodSync(home, 0o755);
      chmodSync(paths.dir, 0o757);
      refused("a world-writable instance directory");
      chmodSync(paths.dir, 0o755);
      if (process.getuid?.() === 0) {
        chownSync(paths.dir, 12345, 12345);
        assert.equal(run(["vm", "true"], { noNode: true }).fast, false, "another user's instance directory (Node lets root use it)");
      }
    } finally {
      chmodSync(home, 0o755);
      chmodSync(paths.dir, 0o755);
      chownSync(paths.dir, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    }
    assert.equal(run(["vm", "true"], { noNode: true }).fast, true);
  });

  for (const sh of ["dash", "bash"]) {
    test(`-t exactly when stdin and stdout are terminals, as Node decides (${sh}, under script)`, { skip: spawnSync("sh", ["-c", "command -v script"]).status !== 0 && "needs script(1)" }, () => {
      for (const [tty, flag] of [["both", "-t"], ["stdin", "-T"], ["stdout", "-T"]] as const) {
        const fast = run(["vm", "true"], { sh, tty });
        const node = run(["vm", "true"], { sh, tty, env: { TSLIMA_SHELL_FAST: "0" } });
        assert.ok(fast.fast && !node.fast, `${tty}: ${fast.stderr}${node.stderr}`);
        assert.equal(fast.words[2], flag, tty);
        assert.deepEqual(fast.words, node.words, tty);
      }
    });
  }
});

/** An absolute guest or host path with words that need quoting, and trailing slashes now and then. */
const PART = fc.constantFrom("a", "b c", "it's", "$x", "ü", "*", "-", "..", "x\\y", '"');
const guestPath = fc.tuple(fc.array(PART, { maxLength: 3 }), fc.constantFrom("", "/", "//")).map(([parts, tail]) => `/${parts.join("/")}${tail}`);
const location = fc.oneof(
  fc.constantFrom("/", root, project, `${project}/`, join(project, "deep"), join(root, "my"), join(root, "it's here"), join(root, "a b"), "/nowhere"),
  fc.constantFrom(...CWDS).map((d) => `${d}//`),
);
const mountTable = fc.array(fc.record({ location, mountPoint: guestPath }), { maxLength: 4 });
const word = fc.oneof(
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ unit: "binary-ascii", maxLength: 8 }),
  fc.constantFrom("", "--", "-t", "--workdir", "'", "a b", "$HOME", "*", "~", "\\", "\n", "\t"),
).filter((w) => !w.includes("\0"));

describe("property: the fast path's ssh words are Node's", { skip: process.platform !== "linux" && "needs /proc" }, () => {
  test("over generated words, working directories and mount tables (dash and bash)", () => {
    try {
      fc.assert(
        fc.property(fc.constantFrom("dash", "bash"), fc.array(word, { maxLength: 5 }), fc.constantFrom(...CWDS), mountTable, guestPath, (sh, words, cwd, mounts, guestHome) => {
          record({ home: guestHome, mounts });
          const fast = run(["vm", ...words], { sh, cwd });
          const node = run(["vm", ...words], { sh, cwd, env: { TSLIMA_SHELL_FAST: "0" } });
          assert.equal(node.code, 0, node.stderr);
          assert.ok(fast.fast, `the launcher ran ssh itself: ${fast.stderr}`);
          assert.deepEqual(fast.words, node.words);
        }),
        { seed: Number(process.env.TSLIMA_FUZZ_SEED ?? 20261207), numRuns: Number(process.env.TSLIMA_FUZZ_RUNS ?? 40) },
      );
    } finally {
      record(facts);
    }
  });

  test("the launcher takes exactly the names Node's rule accepts (.., ., _x, over-long go to Node)", () => {
    const good = readFileSync(paths.shellFast, "utf8");
    const name = fc.oneof(
      fc.constantFrom("..", ".", "_x", "x_", "a..b", "a-_b", "-a", "a".repeat(58), "a".repeat(59), "A.b_c-9", "vm"),
      fc.string({ unit: fc.constantFrom("a", "Z", "7", ".", "_", "-"), minLength: 1, maxLength: 62 }),
    );
    fc.assert(
      fc.property(name, (n) => {
        // every candidate has a valid record where its name leads (home/.. is the test's root)
        const dir = join(home, n);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "shell-fast"), good);
        const r = run([n, "true"], { sh: "dash", noNode: true });
        assert.equal(r.fast, instanceNameProblem(n) === undefined, `${JSON.stringify(n)}: ${r.stderr}`);
      }),
      { seed: 20261207, numRuns: 60, examples: [[".."], ["."], ["_x"], ["a".repeat(59)]] },
    );
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
