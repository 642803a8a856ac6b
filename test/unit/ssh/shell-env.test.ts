import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SHELLENV_BLOCK, preservedEnv, shellEnvLists } from "../../../src/ssh/shell-env.js";
import { isTslimaError } from "../../../src/errors.js";

const host = { HOME: "/home/me", PATH: "/bin", USER: "me", LANG: "C.UTF-8", XDG_RUNTIME_DIR: "/run/user/1", BASH_ENV: "x", _: "/usr/bin/tslima", FOO: "a b", FOO_BAR: "1", "not.a.name": "x", SSH_AUTH_SOCK: "/s" };

test("preserve-env with Lima's default block list: the host's identity, paths and shell internals stay", () => {
  assert.deepEqual(preservedEnv(host), ["LANG=C.UTF-8", "FOO=a b", "FOO_BAR=1"]);
  assert.ok(DEFAULT_SHELLENV_BLOCK.includes("PATH") && DEFAULT_SHELLENV_BLOCK.includes("SSH_*"));
});

test("LIMA_SHELLENV_BLOCK replaces the list, or extends it with a leading +", () => {
  assert.deepEqual(preservedEnv({ ...host, LIMA_SHELLENV_BLOCK: "FOO*,LIMA_*" }).map((w) => w.split("=")[0]), [
    "HOME", "PATH", "USER", "LANG", "XDG_RUNTIME_DIR", "BASH_ENV", "_", "SSH_AUTH_SOCK",
  ]);
  assert.deepEqual(preservedEnv({ ...host, LIMA_SHELLENV_BLOCK: "+FOO_*, LANG" }), ["FOO=a b", "LIMA_SHELLENV_BLOCK=+FOO_*, LANG"]);
  assert.deepEqual(shellEnvLists({ LIMA_SHELLENV_BLOCK: "+X" }).block, [...DEFAULT_SHELLENV_BLOCK, "X"]);
});

test("LIMA_SHELLENV_ALLOW lets its names through over the block list; other names are still blocked or passed by it", () => {
  assert.deepEqual(preservedEnv({ ...host, LIMA_SHELLENV_ALLOW: "FOO,PATH" }), ["PATH=/bin", "LANG=C.UTF-8", "FOO=a b", "FOO_BAR=1", "LIMA_SHELLENV_ALLOW=FOO,PATH"]);
  assert.deepEqual(preservedEnv({ ...host, LIMA_SHELLENV_ALLOW: "HOME", LIMA_SHELLENV_BLOCK: "+FOO*" }).map((w) => w.split("=")[0]), ["HOME", "LANG", "LIMA_SHELLENV_ALLOW", "LIMA_SHELLENV_BLOCK"]);
});

test("a pattern with another character than letters, digits, _ and * is refused, naming the variable", () => {
  for (const [variable, value] of [["LIMA_SHELLENV_ALLOW", "FOO,B.R"], ["LIMA_SHELLENV_BLOCK", "+A-B"]] as const) {
    assert.throws(
      () => preservedEnv({ [variable]: value }),
      (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_SHELL_ENV_PATTERN" && e.message.startsWith(`${variable}: pattern`) && /e\.g\./.test(e.hint ?? ""),
    );
  }
});
