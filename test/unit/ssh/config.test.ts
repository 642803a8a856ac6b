import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sshConfigText, sshConfigValue } from "../../../src/ssh/index.js";
import { instancePaths } from "../../../src/store/paths.js";

test("ssh.config: one Host lima-NAME block with Lima's options, the guest's host key pinned", () => {
  const paths = instancePaths("/home/alice/.tslima", "default");
  const text = sshConfigText(paths, { user: "alice", port: 60022, identityFile: "/home/alice/.tslima/_config/user", instanceName: "default" });
  const lines = text.split("\n").map((l) => l.trim());
  assert.equal(lines.filter((l) => l.startsWith("Host ")).length, 1);
  for (const want of [
    "Host lima-default",
    "Hostname 127.0.0.1",
    "Port 60022",
    "User alice",
    "IdentityFile /home/alice/.tslima/_config/user",
    "IdentitiesOnly yes",
    "BatchMode yes",
    "StrictHostKeyChecking yes",
    "UserKnownHostsFile /home/alice/.tslima/default/known_hosts",
    "GlobalKnownHostsFile /dev/null",
    "HostKeyAlias lima-default",
    "UpdateHostKeys no",
    "LogLevel ERROR",
    "ControlMaster auto",
    "ControlPath /home/alice/.tslima/default/ssh.sock",
    "ControlPersist yes",
    "KexAlgorithms ^curve25519-sha256,curve25519-sha256@libssh.org",
  ]) {
    assert.ok(lines.includes(want), `missing: ${want}`);
  }
  assert.ok(!lines.some((l) => l.startsWith("NoHostAuthenticationForLocalhost")), "it would skip the check for 127.0.0.1");
});

test("values with spaces, quotes and % are quoted/escaped for ssh_config", () => {
  assert.equal(sshConfigValue("/a b/c"), '"/a b/c"');
  assert.equal(sshConfigValue('/a"b'), '"/a\\"b"');
  assert.equal(sshConfigValue("/a%b", true), "/a%%b");
  assert.equal(sshConfigValue("/plain"), "/plain");
});

test("real ssh -G reads back the options exactly, also for paths with spaces, quotes and %", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima cfg \"q\" 50%-"));
  try {
    const paths = instancePaths(dir, "my-vm");
    const identity = join(dir, "_config", "user");
    const file = join(dir, "ssh.config");
    writeFileSync(file, sshConfigText(paths, { user: "bob", port: 2222, identityFile: identity, instanceName: "my-vm" }));
    const r = spawnSync("ssh", ["-G", "-F", file, "lima-my-vm"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const opts = new Map<string, string[]>();
    for (const line of r.stdout.split("\n")) {
      const i = line.indexOf(" ");
      if (i > 0) opts.set(line.slice(0, i), [...(opts.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
    }
    assert.deepEqual(opts.get("hostname"), ["127.0.0.1"]);
    assert.deepEqual(opts.get("port"), ["2222"]);
    assert.deepEqual(opts.get("user"), ["bob"]);
    // ssh -G shows %-token options before token expansion, where "%%" stands for "%".
    const expand = (v: string[] | undefined) => v?.map((x) => x.replace(/%%/g, "%"));
    assert.deepEqual(expand(opts.get("identityfile")), [identity]);
    assert.deepEqual(expand(opts.get("controlpath")), [paths.sshSock]);
    assert.deepEqual(opts.get("batchmode"), ["yes"]);
    assert.deepEqual(opts.get("identitiesonly"), ["yes"]);
    assert.deepEqual(opts.get("controlmaster"), ["auto"]);
    assert.deepEqual(opts.get("controlpersist"), ["yes"]);
    assert.deepEqual(expand(opts.get("userknownhostsfile")), [paths.knownHosts]);
    assert.deepEqual(opts.get("stricthostkeychecking"), ["true"]);
    assert.deepEqual(opts.get("hostkeyalias"), ["lima-my-vm"]);
    assert.deepEqual(opts.get("nohostauthenticationforlocalhost"), ["no"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
