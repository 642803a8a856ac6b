import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { formatShowSsh } from "../../../src/ssh/show.js";
import { isTslimaError } from "../../../src/errors.js";

const OPTS: [string, string][] = [
  ["IdentityFile", '"/home/a b/.tslima/_config/user"'],
  ["User", "ann"],
  ["Hostname", "127.0.0.1"],
  ["Port", "60022"],
];

test("show-ssh's four formats, as Lima prints them", () => {
  assert.equal(formatShowSsh("dev", "cmd", OPTS), `ssh -o 'IdentityFile="/home/a b/.tslima/_config/user"' -o User=ann -o Hostname=127.0.0.1 -o Port=60022 lima-dev\n`);
  assert.equal(formatShowSsh("dev", "args", OPTS), `-o 'IdentityFile="/home/a b/.tslima/_config/user"' -o User=ann -o Hostname=127.0.0.1 -o Port=60022\n`);
  assert.equal(formatShowSsh("dev", "options", OPTS), `IdentityFile="/home/a b/.tslima/_config/user"\nUser=ann\nHostname=127.0.0.1\nPort=60022\n`);
  assert.equal(formatShowSsh("dev", "config", OPTS), `Host lima-dev\n  IdentityFile "/home/a b/.tslima/_config/user"\n  User ann\n  Hostname 127.0.0.1\n  Port 60022\n`);
});

test("the cmd and args words survive a shell, also with a ' in a value", () => {
  const opts: [string, string][] = [["IdentityFile", `"/it's here/user"`], ["User", "ann"]];
  const line = formatShowSsh("dev", "cmd", opts);
  const r = spawnSync("sh", ["-c", `set -- ${line.trimEnd().replace(/^ssh /, "")}; printf '%s\\n' "$@"`], { encoding: "utf8" });
  assert.equal(r.stdout, `-o\nIdentityFile="/it's here/user"\n-o\nUser=ann\nlima-dev\n`);
});

test("an unknown format, and an option holding a line break (it would add ssh directives), are refused", () => {
  assert.throws(() => formatShowSsh("dev", "json", OPTS), (e: unknown) => isTslimaError(e) && e.kind === "INVALID_FORMAT" && /cmd, args, options, config/.test(e.hint ?? ""));
  assert.throws(() => formatShowSsh("dev", "config", [["User", "ann\n  ProxyCommand evil"]]), (e: unknown) => isTslimaError(e) && e.kind === "INVALID_OPTION");
});
