import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { remoteScript, sshArgv, sshControlExitArgv } from "../../../src/ssh/index.js";
import { instancePaths } from "../../../src/store/paths.js";

const paths = instancePaths("/home/alice/.tslima", "default");

test("sshArgv: -F ssh.config, -t/-T, the Host alias, --, one script argument", () => {
  const argv = sshArgv(paths, { tty: false, command: ["uname", "-a"] });
  assert.deepEqual(argv.slice(0, 5), ["-F", "/home/alice/.tslima/default/ssh.config", "-T", "lima-default", "--"]);
  assert.equal(argv.length, 6);
  assert.equal(argv[5], `exec "$SHELL" -l -c 'uname -a'`);
  assert.equal(sshArgv(paths, { tty: true })[2], "-t");
});

test("remoteScript follows limactl shell: cd workdir || cd home || exit 1; exec login shell", () => {
  assert.equal(
    remoteScript({ command: ["ls", "-la"], workdir: "/tmp/my dir", home: "/home/alice.linux" }),
    `cd '/tmp/my dir' || cd /home/alice.linux || exit 1 ; exec "$SHELL" -l -c 'ls -la'`,
  );
  assert.equal(remoteScript({ workdir: "/w" }), `cd /w || exit 1 ; exec "$SHELL" -l`);
  assert.equal(remoteScript({}), `exec "$SHELL" -l`);
  assert.equal(remoteScript({ command: ["true"], login: false }), "true");
  assert.equal(remoteScript({ command: ["echo", "a b"], login: false, workdir: "/x" }), "cd /x || exit 1 ; echo 'a b'");
});

test("sshControlExitArgv ends the ControlMaster", () => {
  assert.deepEqual(sshControlExitArgv(paths), ["-F", "/home/alice/.tslima/default/ssh.config", "-O", "exit", "lima-default"]);
});

/** What sshd does with the script: the user's shell runs it with -c. */
function runAsSshd(script: string, shell: string, stdin = ""): { code: number | null; stdout: string } {
  const r = spawnSync(shell, ["-c", script], { input: stdin, encoding: "utf8", env: { PATH: process.env.PATH, SHELL: shell, HOME: "/" } });
  return { code: r.status, stdout: r.stdout };
}

test("the script, run by a real shell as sshd would, passes argv through and keeps exit code and stdin", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "tslima ssh ' $x-")));
  try {
    const args = ["it's", "$HOME", "`id`", "a\nb", "", "ünï ✓", "*"];
    for (const shell of ["/bin/sh", "/bin/bash"]) {
      const printed = runAsSshd(remoteScript({ command: ["printf", "%s\\0", ...args], workdir: dir }), shell);
      assert.equal(printed.code, 0);
      assert.deepEqual(printed.stdout.split("\0").slice(0, -1), args, shell);
      assert.equal(runAsSshd(remoteScript({ command: ["pwd"], workdir: dir }), shell).stdout.trim(), dir);
      assert.equal(runAsSshd(remoteScript({ command: ["pwd"], workdir: join(dir, "missing"), home: dir }), shell).stdout.trim(), dir);
      assert.equal(runAsSshd(remoteScript({ command: ["pwd"], workdir: join(dir, "missing") }), shell).code, 1);
      assert.equal(runAsSshd(remoteScript({ command: ["sh", "-c", "exit 42"] }), shell).code, 42);
      assert.equal(runAsSshd(remoteScript({ command: ["cat"] }), shell, "piped\n").stdout, "piped\n");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("remoteScript with --shell and --preserve-env: exec env WORDS SHELL -l, run as sshd would", () => {
  assert.equal(remoteScript({ command: ["true"], shell: "/bin/bash" }), "exec /bin/bash -l -c true");
  assert.equal(remoteScript({ shell: "/opt/my shell" }), "exec '/opt/my shell' -l");
  assert.equal(remoteScript({ command: ["true"], env: [] }), `exec "$SHELL" -l -c true`);
  assert.equal(remoteScript({ command: ["true"], env: ["A=1", "B=x y"] }), `exec env A=1 'B=x y' "$SHELL" -l -c true`);
  const env = ["GREETING=it's $HOME", "EMPTY="];
  const r = runAsSshd(remoteScript({ command: ["sh", "-c", 'printf "%s|%s|%s" "$GREETING" "${EMPTY-unset}" "$0"'], env, shell: "/bin/bash" }), "/bin/sh");
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "it's $HOME||sh");
  // the login shell is the one asked for, not $SHELL (/bin/sh here)
  assert.match(runAsSshd(remoteScript({ shell: "/bin/bash" }), "/bin/sh", "echo ${BASH_VERSION:+bash}\n").stdout, /^bash$/m);
});
