import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { GUEST_LIB, PROVISION_LOG, READY_FILE, userData } from "../../../src/cidata/index.js";
import { homeAlias } from "../../../src/cidata/provision.js";
import { APT_CONF_DIR, ETC_ENVIRONMENT } from "../../../src/cidata/proxy-files.js";
import { mountPlan } from "../../../src/mounts/index.js";
import { testConfig, testPaths } from "../mounts/testconfig.js";
import { hostFacts } from "./sample.js";

interface WriteFile { path: string; content: string; permissions: string; encoding?: string }

/**
 * Runs the guest side for real, on this host, inside a temporary directory: every guest path in
 * the cloud-config is moved under it, write_files are written like cloud-init does, bootcmd runs,
 * then the per-boot runner. User scripts run as the current user (runuser needs root).
 */
function simulateBoot(root: string, text: string, o: { light?: boolean } = {}): void {
  const targets: Record<string, string> = {
    [READY_FILE]: join(root, "run/tslima-ready"),
    [PROVISION_LOG]: join(root, "run/tslima-provision.log"),
    "/run/tslima": join(root, "run/tslima"),
    "/var/lib/tslima": join(root, "var/lib/tslima"),
    [GUEST_LIB]: join(root, "lib"),
    "/etc/hosts": join(root, "etc/hosts"),
    [ETC_ENVIRONMENT]: join(root, "etc/environment"),
    [APT_CONF_DIR]: join(root, "etc/apt/apt.conf.d"),
  };
  const pattern = new RegExp(Object.keys(targets).map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"), "g");
  const map = (s: string) => s.replace(pattern, (m) => targets[m] ?? m);
  const doc = parse(text) as { write_files: WriteFile[]; bootcmd?: string[] };
  const boot = (doc.bootcmd ?? []).map(map).join("\n");
  // a light boot (cloud-init switched off) runs neither bootcmd nor write_files: tslima-boot.service runs boot.sh
  if (o.light) {
    const r = spawnSync(join(root, "lib/boot.sh"), [], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return;
  }
  const r1 = spawnSync("/bin/sh", ["-c", boot], { encoding: "utf8" });
  assert.equal(r1.status, 0, r1.stderr);
  for (const f of doc.write_files) {
    if (!f.path.startsWith(GUEST_LIB)) continue;
    const p = map(f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.encoding === "b64" ? Buffer.from(f.content, "base64") : map(f.content));
    chmodSync(p, parseInt(f.permissions, 8));
  }
  const r2 = spawnSync(join(root, "lib/runner.sh"), [], { encoding: "utf8" });
  assert.equal(r2.status, 0, r2.stdout + r2.stderr);
}

const asRoot = process.getuid?.() === 0;

test("guest runner: provisioning order, env/param, data files, failures log, ready file; idempotent", { skip: asRoot ? false : "needs root (runuser)" }, (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-runner-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, "home");
  mkdirSync(home);
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/hosts"), "127.0.0.1 localhost\n");
  const out = join(root, "out");
  const me = userInfo().username;
  const config = testConfig({
    user: { name: me, comment: "", uid: userInfo().uid, home, shell: "/bin/sh", passwordlessSudo: true },
    provision: [
      { mode: "system", script: `#!/bin/sh\necho "system $FOO|$PARAM_NAME" >>${out}\n` },
      { mode: "user", script: `echo "user $(id -un) $HOME $FOO" >>${out}` },
      { mode: "boot", script: `#!/bin/sh\necho "boot $FOO" >>${out}\n` },
      { mode: "dependency", script: `#!/bin/sh\necho dependency >>${out}\n` },
      { mode: "data", path: join(root, "data/new.txt"), content: "first\n", owner: "root:root", permissions: "640", overwrite: false },
      { mode: "system", script: "#!/bin/sh\nexit 7\n" },
      { mode: "ansible", playbook: "site.yml" },
      { mode: "yq", path: join(root, "data/edited.json"), expression: ".a = 1" },
    ],
    env: { FOO: "it's \"x\"" },
    param: { NAME: "a b" },
    hostResolver: { enabled: true, ipv6: false, hosts: { "db.internal": "10.1.2.3" } },
  });
  const ctx = { instanceName: "t", sshPublicKeys: [], mounts: mountPlan(config, testPaths, { memoryBytes: 1 }), sshPort: 22, hostFacts };
  simulateBoot(root, userData(config, ctx));

  assert.deepEqual(readFileSync(out, "utf8").split("\n"), [
    `boot it's "x"`,
    "dependency",
    `system it's "x"|a b`,
    `user ${me} ${home} it's "x"`,
    "",
  ]);
  assert.equal(readFileSync(join(root, "data/new.txt"), "utf8"), "first\n");
  assert.equal(existsSync(join(root, "data/edited.json")), false, "mode yq is the host agent's (hostagent/yq-apply.ts)");
  const env = statSync(join(root, "lib/env.sh"));
  assert.equal(env.mode & 0o777, 0o640, "env: values readable by root and the user's group only");
  assert.equal(env.gid, userInfo().gid);
  for (const f of ["2", "2.env"]) assert.equal(statSync(join(root, "var/lib/tslima/boot", f)).mode & 0o077, 0, `boot/${f} is root's only`);
  assert.equal(statSync(join(root, "data/new.txt")).mode & 0o777, 0o640);
  assert.ok(existsSync(join(root, "run/tslima-ready")));
  const failures = readFileSync(join(root, "run/tslima-provision.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { mode: string; index: number; exit: number });
  assert.deepEqual(failures.map((f) => [f.mode, f.index, f.exit]), [["system", 5, 7], ["ansible", 6, 127]]);
  const hosts = readFileSync(join(root, "etc/hosts"), "utf8");
  assert.match(hosts, /^192\.168\.5\.2\thost\.lima\.internal$/m);
  assert.match(hosts, /^10\.1\.2\.3\tdb\.internal$/m);

  // second boot: same steps again, hosts not duplicated, overwrite:false keeps an edited data file
  writeFileSync(join(root, "data/new.txt"), "edited\n");
  simulateBoot(root, userData(config, ctx));
  assert.equal(readFileSync(out, "utf8").split("\n").filter((l) => l.startsWith("system")).length, 2);
  assert.equal(readFileSync(join(root, "data/new.txt"), "utf8"), "edited\n");
  assert.equal(readFileSync(join(root, "etc/hosts"), "utf8").match(/host\.lima\.internal/g)?.length, 1);
});

test("param: values in provision scripts: a system script is root's alone (0700), a user script 0750 to the user's group, and runs as the user", { skip: asRoot ? false : "needs root (runuser, another user)" }, (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-runner-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755); // the guest's /var/lib is traversable by all
  const home = join(root, "home");
  mkdirSync(home);
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/hosts"), "");
  const outDir = join(root, "out");
  mkdirSync(outDir);
  chmodSync(outDir, 0o777);
  const out = join(outDir, "log");
  writeFileSync(out, "");
  chmodSync(out, 0o666);
  const config = testConfig({
    user: { name: "nobody", comment: "", uid: 65534, home, shell: "/bin/sh", passwordlessSudo: true },
    provision: [
      { mode: "system", script: `#!/bin/sh\necho "system $PARAM_TOKEN" >>${out}\n` },
      { mode: "user", script: `#!/bin/sh\necho "user $(id -un) $PARAM_TOKEN" >>${out}\n` },
      { mode: "user", script: `echo "user without #! $(id -un)" >>${out}` },
    ],
    param: { TOKEN: "s3cret" },
  });
  const text = userData(config, { instanceName: "t", sshPublicKeys: [], mounts: { mounts: [], qemuArgs: [] }, sshPort: 22, hostFacts });
  const doc = parse(text) as { write_files: WriteFile[] };
  for (const i of ["0", "1", "2"]) assert.equal(doc.write_files.find((f) => f.path === `${GUEST_LIB}/provision/${i}`)?.permissions, "0700", `provision/${i} is written root's only`);
  simulateBoot(root, text);
  assert.equal(existsSync(join(root, "run/tslima-provision.log")) ? readFileSync(join(root, "run/tslima-provision.log"), "utf8") : "", "", "no step failed");
  assert.deepEqual(readFileSync(out, "utf8").split("\n").sort(), ["", "system s3cret", "user nobody s3cret", "user without #! nobody"].sort());
  const mode = (i: string) => statSync(join(root, "lib/provision", i));
  assert.deepEqual([mode("0").mode & 0o777, mode("0").uid], [0o700, 0]);
  for (const i of ["1", "2"]) assert.deepEqual([mode(i).mode & 0o777, mode(i).uid, mode(i).gid], [0o750, 0, 65534], `user script ${i}`);
  // another guest user (daemon) reads none of them
  for (const i of ["0", "1", "2"]) assert.notEqual(spawnSync("runuser", ["-u", "daemon", "--", "cat", join(root, "lib/provision", i)]).status, 0, `provision/${i}`);
});

test("light boot: boot.sh runs the boot scripts, then the runner, as a full boot does", { skip: asRoot ? false : "needs root (runuser)" }, (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-runner-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, "home");
  mkdirSync(home);
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/hosts"), "");
  const out = join(root, "out");
  const me = userInfo().username;
  const config = testConfig({
    user: { name: me, comment: "", uid: userInfo().uid, home, shell: "/bin/sh", passwordlessSudo: true },
    provision: [
      { mode: "boot", script: `#!/bin/sh\necho "boot $FOO" >>${out}\n` },
      { mode: "system", script: `echo "system $FOO" >>${out}` },
      { mode: "boot", script: "exit 3" },
      { mode: "user", script: `echo "user $(id -un)" >>${out}` },
    ],
    env: { FOO: "bar" },
  });
  const text = userData(config, { instanceName: "t", sshPublicKeys: [], mounts: { mounts: [], qemuArgs: [] }, sshPort: 22, hostFacts });
  simulateBoot(root, text);
  const full = readFileSync(out, "utf8");
  const fullLog = readFileSync(join(root, "run/tslima-provision.log"), "utf8");
  rmSync(out);
  rmSync(join(root, "run/tslima-ready"));
  simulateBoot(root, text, { light: true });
  assert.equal(readFileSync(out, "utf8"), full, "the same steps in the same order");
  assert.deepEqual(full.split("\n"), ["boot bar", "system bar", `user ${me}`, ""]);
  assert.ok(existsSync(join(root, "run/tslima-ready")));
  assert.equal(readFileSync(join(root, "run/tslima-provision.log"), "utf8"), fullLog, "a failed boot script is reported the same way");
  assert.match(fullLog, /"mode":"boot","index":2,"exit":3/);
});

test("proxy variables: a boot script, /etc/environment and apt get them; a boot without proxies takes them away", { skip: asRoot ? false : "needs root (runuser)" }, (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-runner-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "home"));
  mkdirSync(join(root, "etc/apt/apt.conf.d"), { recursive: true });
  writeFileSync(join(root, "etc/hosts"), "127.0.0.1 localhost\n");
  writeFileSync(join(root, "etc/environment"), 'PATH="/usr/bin:/bin"\n');
  const out = join(root, "out");
  const config = testConfig({
    user: { name: userInfo().username, comment: "", uid: userInfo().uid, home: join(root, "home"), shell: "/bin/sh", passwordlessSudo: true },
    provision: [{ mode: "boot", script: `#!/bin/sh\necho "$http_proxy $HTTPS_PROXY $no_proxy" >>${out}\n` }],
  });
  const ctx = { instanceName: "t", sshPublicKeys: [], mounts: mountPlan(config, testPaths, { memoryBytes: 1 }), sshPort: 22, hostFacts };
  const hostProxyEnv = { http_proxy: "http://localhost:3128", HTTPS_PROXY: "http://127.0.0.1:3129", no_proxy: "localhost,.internal" };
  const block = ["# tslima-proxy begin", "http_proxy=http://192.168.5.2:3128", "HTTP_PROXY=http://192.168.5.2:3128", "https_proxy=http://192.168.5.2:3129", "HTTPS_PROXY=http://192.168.5.2:3129", "no_proxy=localhost,.internal", "NO_PROXY=localhost,.internal", "# tslima-proxy end"];
  const apt = join(root, "etc/apt/apt.conf.d/90-tslima-proxy");
  for (let boot = 0; boot < 2; boot++) {
    simulateBoot(root, userData(config, { ...ctx, hostProxyEnv }));
    assert.deepEqual(readFileSync(join(root, "etc/environment"), "utf8").split("\n"), ['PATH="/usr/bin:/bin"', ...block, ""], `boot ${boot}: one block`);
  }
  assert.equal(readFileSync(apt, "utf8"), 'Acquire::http::Proxy "http://192.168.5.2:3128";\nAcquire::https::Proxy "http://192.168.5.2:3129";\n');
  assert.equal(readFileSync(out, "utf8"), "http://192.168.5.2:3128 http://192.168.5.2:3129 localhost,.internal\n".repeat(2));
  simulateBoot(root, userData(config, ctx));
  assert.equal(readFileSync(join(root, "etc/environment"), "utf8"), 'PATH="/usr/bin:/bin"\n');
  assert.ok(!existsSync(apt), "apt's proxy file is gone");
});

test("guest runner: all steps succeed -> no provision log, ready file present", { skip: asRoot ? false : "needs root (runuser)" }, (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-runner-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/hosts"), "");
  mkdirSync(join(root, "run/tslima"), { recursive: true });
  writeFileSync(join(root, "run/tslima-provision.log"), "stale\n");
  const config = testConfig({ provision: [{ mode: "system", script: "true" }] });
  simulateBoot(root, userData(config, { instanceName: "t", sshPublicKeys: [], mounts: { mounts: [], qemuArgs: [] }, sshPort: 22, hostFacts }));
  assert.ok(existsSync(join(root, "run/tslima-ready")));
  assert.equal(existsSync(join(root, "run/tslima-provision.log")), false);
});

test("every generated shell text passes sh -n", () => {
  const { sampleConfig, sampleContext } = { sampleConfig: () => testConfig({ provision: [{ mode: "boot", script: "echo 'x'" }, { mode: "system", script: "echo y" }] }), sampleContext: () => ({ instanceName: "t", sshPublicKeys: [], mounts: { mounts: [], qemuArgs: [] }, sshPort: 22, hostFacts }) };
  const doc = parse(userData(sampleConfig(), sampleContext())) as { write_files: WriteFile[]; bootcmd: string[] };
  for (const text of [...doc.write_files.filter((f) => f.path.endsWith(".sh")).map((f) => f.content), doc.bootcmd.join("\n")]) {
    const r = spawnSync("sh", ["-n"], { input: text, encoding: "utf8" });
    assert.equal(r.status, 0, `${r.stderr}\n${text}`);
  }
});

test("homeAlias: /home/USER.guest is also /home/USER.linux and the reverse (Lima's two names)", () => {
  assert.equal(homeAlias("/home/alice.guest"), "/home/alice.linux");
  assert.equal(homeAlias("/home/alice.linux/"), "/home/alice.guest");
  assert.equal(homeAlias("/home/alice"), undefined);
  assert.equal(homeAlias("/root"), undefined);
});

test("guest runner: the home's other name is a symlink to it, made once, an existing path left alone", { skip: asRoot ? false : "needs root (chgrp of env.sh)" }, (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-runner-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, "home", "me.guest");
  mkdirSync(home, { recursive: true });
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/hosts"), "");
  const config = testConfig({ user: { name: userInfo().username, comment: "", uid: userInfo().uid, home, shell: "/bin/sh", passwordlessSudo: true } });
  const ctx = { instanceName: "t", sshPublicKeys: [], mounts: mountPlan(config, testPaths, { memoryBytes: 1 }), sshPort: 22, hostFacts };
  simulateBoot(root, userData(config, ctx));
  const alias = join(root, "home", "me.linux");
  assert.equal(readlinkSync(alias), home);
  writeFileSync(join(home, "f"), "x");
  assert.equal(readFileSync(join(alias, "f"), "utf8"), "x");
  simulateBoot(root, userData(config, ctx));
  assert.equal(readlinkSync(alias), home, "a second boot keeps the link");
});
