// The CLI loads only what the command that runs needs (issue 11): `--version` nothing of the library,
// `shell` neither the YAML pipeline (src/config, the yaml package) nor images, QEMU or the other
// commands. Checked with a module hook that logs every module Node loads (test/fixtures/load-log),
// so a new static import on these paths fails here; no timing is measured.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { parseShellArgs } from "../../src/cli/shell-argv.js";
import { commands, commandsFor } from "../../src/cli/commands.js";
import { cliPath, fixturesDir, repoRoot } from "../helpers.js";

const hook = join(fixturesDir, "load-log", "register.mjs");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Loaded modules, relative to the repository (dist/src/..., node_modules/...). */
  loaded: string[];
}

function runCli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir): Run {
  const log = join(dir, `load-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", hook, cliPath, ...args], {
    encoding: "utf8",
    cwd,
    env: { ...process.env, TSLIMA_LOAD_LOG: log, ...env },
  });
  const loaded = readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((u) => relative(repoRoot, fileURLToPath(u)));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

/** Parts of the library a command that only talks to a running guest must not load. */
const HEAVY = /^dist\/src\/(config|images|qemu|cidata|mounts|portfwd|hostagent)\/|^dist\/src\/index\.js$|\/node_modules\/yaml\/|^node_modules\/yaml\//;

/** An instance directory that `inspectStatus` sees as Running: two live processes naming it. */
function fakeRunning(home: string, name: string): { dir: string; stop: () => void } {
  const dir = join(home, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "lima.yaml"), 'images:\n- location: "/nonexistent.qcow2"\n  arch: "x86_64"\n');
  const procs: ChildProcess[] = ["ha", "qemu"].map((what) => {
    const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)", join(dir, what)], { stdio: "ignore" });
    writeFileSync(join(dir, `${what}.pid`), `${c.pid}\n`);
    return c;
  });
  return { dir, stop: () => procs.forEach((c) => c.kill("SIGKILL")) };
}

/** A fake `ssh` on PATH: writes its argv to ssh.args and exits 7. */
function fakeSsh(dir: string): { env: NodeJS.ProcessEnv; args: () => string[] } {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const out = join(dir, "ssh.args");
  writeFileSync(join(bin, "ssh"), `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\nexit 7\n`);
  chmodSync(join(bin, "ssh"), 0o755);
  return { env: { PATH: `${bin}:${process.env.PATH ?? ""}` }, args: () => readFileSync(out, "utf8").trimEnd().split("\n") };
}

/** Runs `fn` in a fresh temporary directory, removed afterwards. */
function inTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "tslima-lazy-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` with a fake running instance "vm" under `home`, a fake ssh and a host folder `share`. */
function withRunningVm(fn: (t: { dir: string; home: string; vmDir: string; share: string; ssh: ReturnType<typeof fakeSsh> }) => void): void {
  inTmp((dir) => {
    const home = join(dir, "home");
    const vm = fakeRunning(home, "vm");
    try {
      const share = join(dir, "share");
      mkdirSync(join(share, "sub"), { recursive: true });
      fn({ dir, home, vmDir: vm.dir, share, ssh: fakeSsh(dir) });
    } finally {
      vm.stop();
    }
  });
}

test("the load-log hook sees the library when it is loaded (so the tests below can fail)", () =>
  inTmp((dir) => {
    const r = runCli(dir, ["list"], { TSLIMA_HOME: join(dir, "home") });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.loaded.includes("dist/src/config/pipeline.js"), r.loaded.join("\n"));
    assert.ok(r.loaded.some((f) => HEAVY.test(f)));
  }));

test("tslima --version loads nothing of the library, nor commander", () =>
  inTmp((dir) => {
    const r = runCli(dir, ["--version"]);
    assert.equal(r.status, 0, r.stderr);
    // (the order modules load in is not fixed: the set is compared)
    assert.deepEqual(r.loaded.filter((f) => f.startsWith("dist/src/") || f.includes("node_modules/")).sort(), ["dist/src/cli/log.js", "dist/src/cli/main.js", "dist/src/cli/shell-argv.js", "dist/src/errors.js", "dist/src/version.js"]);
  }));

test("tslima --help loads every command's file but not the library (only the light plugin lookup, which lists plugins, and the check for ended MCP sandboxes)", () =>
  inTmp((dir) => {
    const r = runCli(dir, ["--help"]);
    assert.equal(r.status, 0, r.stderr);
    for (const c of commands) assert.match(r.stdout, new RegExp(`^  ${c.names[0]}\\b`, "m"));
    const light = ["dist/src/errors.js", "dist/src/version.js", "dist/src/plugins.js", "dist/src/config/plugins.js", "dist/src/proc/child.js", "dist/src/store/paths.js"];
    light.push("dist/src/sandboxes.js", "dist/src/store/owner.js", "dist/src/proc/pid.js", "dist/src/proc/wait.js");
    assert.deepEqual(r.loaded.filter((f) => f.startsWith("dist/src/") && !f.startsWith("dist/src/cli/") && !light.includes(f)), []);
  }));

test("tslima shell NAME CMD on a running instance runs ssh without loading config, YAML, images or other commands", () =>
  withRunningVm(({ dir, home, vmDir, share, ssh }) => {
    // What the agent records at boot: the cwd lies in a mount, so the guest command runs at its mount point.
    writeFileSync(join(vmDir, "shell.json"), JSON.stringify({ home: "/home/u.guest", mounts: [{ location: share, mountPoint: "/mnt/share" }] }));
    const r = runCli(dir, ["shell", "vm", "true"], { TSLIMA_HOME: home, ...ssh.env }, join(share, "sub"));
    assert.equal(r.status, 7, r.stderr);
    const args = ssh.args();
    assert.deepEqual(args.slice(0, 4), ["-F", join(vmDir, "ssh.config"), "-T", "lima-vm"]);
    assert.match(args.at(-1) ?? "", /^cd '?\/mnt\/share\/sub'? \|\| cd '?\/home\/u\.guest'? \|\| exit 1 ; exec "\$SHELL" -l -c '?true'?$/);
    assert.deepEqual(r.loaded.filter((f) => HEAVY.test(f)), []);
    const otherCommands = r.loaded.filter((f) => f.startsWith("dist/src/cli/") && !["main.js", "log.js", "messages.js", "shell-argv.js", "shell.js"].includes(f.slice("dist/src/cli/".length)));
    assert.deepEqual(otherCommands, [], "no other command's file: the plain forms of shell skip the command table");
    assert.deepEqual(r.loaded.filter((f) => f.includes("node_modules/commander")), [], "nor commander");
    // a form it does not know goes through commander, with commander's message
    const help = runCli(dir, ["shell", "--help"], { TSLIMA_HOME: home, ...ssh.env });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: tslima shell \[options\] <name> \[command\.\.\.\]/);
  }));

test("parseShellArgs: Lima's forms of shell, its usage errors, help to commander", () => {
  assert.deepEqual(parseShellArgs(["vm"]), { args: { name: "vm", command: [] } });
  assert.deepEqual(parseShellArgs(["vm", "sh", "-c", "exit 7"]), { args: { name: "vm", command: ["sh", "-c", "exit 7"] } });
  assert.deepEqual(parseShellArgs(["vm", "--", "ls", "--all"]), { args: { name: "vm", command: ["ls", "--all"] } });
  assert.deepEqual(parseShellArgs(["--", "vm", "ls"]), { args: { name: "vm", command: ["ls"] } });
  assert.deepEqual(parseShellArgs(["vm", "ls", "--", "x"]), { args: { name: "vm", command: ["ls", "--", "x"] } });
  assert.deepEqual(parseShellArgs(["--workdir", "/tmp", "vm", "pwd"]), { args: { name: "vm", command: ["pwd"], workdir: "/tmp" } });
  assert.deepEqual(parseShellArgs(["--workdir=/a b", "vm"]), { args: { name: "vm", command: [], workdir: "/a b" } });
  assert.deepEqual(parseShellArgs(["--shell", "/bin/bash", "--start", "--preserve-env", "--reconnect", "vm", "--start"]), {
    args: { name: "vm", command: ["--start"], shell: "/bin/bash", start: true, preserveEnv: true, reconnect: true },
  });
  assert.deepEqual(parseShellArgs(["--start=false", "--reconnect=T", "vm"]), { args: { name: "vm", command: [], start: false, reconnect: true } });
  // --instance: every argument is the command, `--` too after the first one
  assert.deepEqual(parseShellArgs(["--instance", "vm", "ls", "--all"]), { args: { name: "vm", command: ["ls", "--all"] } });
  assert.deepEqual(parseShellArgs(["--instance=vm", "--workdir", "/", "--", "--x"]), { args: { name: "vm", command: ["--x"], workdir: "/" } });
  assert.deepEqual(parseShellArgs(["--instance", "vm"]), { args: { name: "vm", command: [] } });
  assert.deepEqual(parseShellArgs(["--instance", "vm", "vm2", "--", "x"]), { args: { name: "vm", command: ["vm2", "--", "x"] } });
  // usage errors, in pflag's words
  assert.deepEqual(parseShellArgs([]), { usage: "requires instance name as first argument" });
  assert.deepEqual(parseShellArgs(["--instance="]), { usage: "requires instance name as first argument" });
  assert.deepEqual(parseShellArgs(["--bogus", "vm"]), { usage: "unknown flag: --bogus" });
  assert.deepEqual(parseShellArgs(["--instance", "vm", "--bogus=1"]), { usage: "unknown flag: --bogus" });
  assert.deepEqual(parseShellArgs(["-x", "vm"]), { usage: "unknown shorthand flag: 'x' in -x" });
  assert.deepEqual(parseShellArgs(["--workdir"]), { usage: "flag needs an argument: --workdir" });
  assert.deepEqual(parseShellArgs(["--start=maybe", "vm"]), { usage: 'invalid argument "maybe" for "--start" flag: use true or false' });
  assert.deepEqual(parseShellArgs(["--help"]), { help: true });
  assert.deepEqual(parseShellArgs(["-h", "vm"]), { help: true });
  assert.deepEqual(parseShellArgs(["vm", "-h"]), { args: { name: "vm", command: ["-h"] } });
  // `lima start` (a shell in $LIMA_INSTANCE running `start`) is probably a typo of `limactl start`
  assert.deepEqual(parseShellArgs(["--instance", "default", "start", "x"], "limactl"), {
    args: { name: "default", command: ["start", "x"] },
    warning: "perhaps you meant `limactl start x`?",
  });
});

test("shell --instance NAME CMD --flag and NAME -- CMD: the words after the instance are the command's; its exit status is shell's", () =>
  withRunningVm(({ dir, home, ssh }) => {
    const env = { TSLIMA_HOME: home, ...ssh.env };
    for (const [bin, args] of [
      [cliPath, ["shell", "--instance", "vm", "--workdir", "/", "ls", "--all", "--debug"]],
      [join(repoRoot, "bin", "limactl.js"), ["shell", "--tty=false", "vm", "--", "ls", "--all", "--debug"]],
      [join(repoRoot, "bin", "lima.js"), ["--workdir=/", "--", "ls", "--all", "--debug"]],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, ...env, LIMA_INSTANCE: "vm" } });
      assert.equal(r.status, 7, `${args.join(" ")}: ${r.stderr}`);
      assert.match(ssh.args().at(-1) ?? "", /-c '?ls --all --debug'?$/, args.join(" "));
    }
  }));

test("shell --shell, --preserve-env and --reconnect: the login shell, the env words and ssh -O exit first", () =>
  withRunningVm(({ dir, home, vmDir, ssh }) => {
    writeFileSync(join(vmDir, "shell.json"), JSON.stringify({ home: "/home/u.guest", mounts: [] }));
    const env = { TSLIMA_HOME: home, ...ssh.env, FOO_TSLIMA: "it's here", LIMA_SHELLENV_BLOCK: "+BAR_*", BAR_X: "blocked" };
    const r = runCli(dir, ["shell", "--shell", "/bin/bash", "--preserve-env", "vm", "echo", "hi"], env);
    assert.equal(r.status, 7, r.stderr);
    const script = ssh.args().at(-1) ?? "";
    assert.match(script, /^exec env .* \/bin\/bash -l -c 'echo hi'$/);
    assert.ok(script.includes(`'FOO_TSLIMA=it'\\''s here'`), script);
    assert.ok(!/BAR_X|\bPATH=|\bHOME=/.test(script), `blocked names stay on the host: ${script}`);
    // through commander as well (a global flag first): the same flags
    const viaCommander = runCli(dir, ["--debug", "shell", "--shell", "/bin/bash", "--preserve-env", "vm", "echo", "hi"], env);
    assert.equal(viaCommander.status, 7, viaCommander.stderr);
    const script2 = ssh.args().at(-1) ?? "";
    assert.match(script2, /^exec env .*'FOO_TSLIMA=it'\\''s here'.* \/bin\/bash -l -c 'echo hi'$/);
    const bad = runCli(dir, ["shell", "--preserve-env", "vm", "true"], { ...env, LIMA_SHELLENV_ALLOW: "FOO-BAR" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /LIMA_SHELLENV_ALLOW: pattern "FOO-BAR" contains the character "-"/);
    // --reconnect: the ssh log of this fake keeps every call
    const log = join(dir, "ssh.log");
    writeFileSync(join(dir, "bin", "ssh"), `#!/bin/sh\nprintf '%s ' "$@" >> '${log}'\necho >> '${log}'\nexit 0\n`);
    const rc = runCli(dir, ["shell", "--reconnect", "vm", "true"], env);
    assert.equal(rc.status, 0, rc.stderr);
    const calls = readFileSync(log, "utf8").trimEnd().split("\n");
    assert.equal(calls.length, 2, calls.join("\n"));
    assert.match(calls[0]!, /-O exit lima-vm/);
    assert.match(calls[1]!, /-T lima-vm -- /);
  }));

test("without the agent's shell.json, shell finds the workdir in lima.yaml (loading the config then)", () =>
  withRunningVm(({ dir, home, vmDir, share, ssh }) => {
    writeFileSync(join(vmDir, "lima.yaml"), `images:\n- location: "/nonexistent.qcow2"\n  arch: "x86_64"\nmounts:\n- location: ${JSON.stringify(share)}\n  mountPoint: "/mnt/yaml"\n`);
    const r = runCli(dir, ["shell", "vm", "true"], { TSLIMA_HOME: home, ...ssh.env }, share);
    assert.equal(r.status, 7, r.stderr);
    assert.match(ssh.args().at(-1) ?? "", /^cd '?\/mnt\/yaml'? /);
    assert.ok(r.loaded.includes("dist/src/config/pipeline.js"));
  }));

test("shell on a missing or stopped instance keeps its errors, without loading the config", () =>
  inTmp((dir) => {
    const home = join(dir, "home");
    mkdirSync(join(home, "stopped"), { recursive: true });
    writeFileSync(join(home, "stopped", "lima.yaml"), "{}\n");
    const missing = runCli(dir, ["shell", "nope", "true"], { TSLIMA_HOME: home });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^error: instance "nope" does not exist\nhint: existing instances: stopped\ncode: ERR_TSLIMA_UNKNOWN_INSTANCE\n$/);
    assert.deepEqual(missing.loaded.filter((f) => HEAVY.test(f)), []);
    const stopped = runCli(dir, ["shell", "stopped", "true"], { TSLIMA_HOME: home });
    assert.equal(stopped.status, 1);
    assert.match(stopped.stderr, /^error: instance stopped is Stopped\nhint: start it: tslima start stopped \(or shell --start\)\ncode: ERR_TSLIMA_NOT_RUNNING\n$/);
    assert.deepEqual(stopped.loaded.filter((f) => HEAVY.test(f)), []);
  }));

test("the command table names what each command file registers; a command name selects its file only", async () => {
  for (const entry of commands) {
    const program = new Command("tslima").enablePositionalOptions();
    (await entry.load()).register(program);
    assert.deepEqual(program.commands.map((c) => [c.name(), ...c.aliases()]), [entry.names]);
  }
  assert.deepEqual(commandsFor(["rm", "x"]).map((c) => c.names[0]), ["delete"]);
  assert.deepEqual(commandsFor(["--version"]), []);
  assert.equal(commandsFor(["--help"]).length, commands.length);
  assert.equal(commandsFor(["shel"]).length, commands.length);
  assert.equal(commandsFor([]).length, commands.length);
});
