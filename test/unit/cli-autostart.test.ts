// `limactl autostart enable|disable NAME` and `start-at-login` (issue 26), run as a user runs them,
// with XDG_CONFIG_HOME in a temporary directory and a fake `systemctl` first on PATH (this machine
// has no systemd user manager) that records each call and can act like a host without one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { asOwnStyle } from "../support/logrus.js";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";
import { planAutostartUnit } from "../../src/instance/autostart-unit.js";
import { limaInstanceJson } from "../../src/instance/lima-view.js";
import type { InstanceInfo } from "../../src/instance/inventory.js";

const limactl = join(repoRoot, "bin", "limactl.js");
const tslima = join(repoRoot, "bin", "tslima.js");

/** A fake systemctl: appends its argv to CALLS; FAKE_SYSTEMCTL=nobus fails as without a user manager, =refuse fails enable/disable. */
const FAKE = `#!/bin/sh
echo "$*" >> "$CALLS"
case "$FAKE_SYSTEMCTL:$2" in
  nobus:*) echo "Failed to connect to bus: No medium found" >&2; exit 1 ;;
  refuse:enable|refuse:disable) echo "Failed to $2 unit: Access denied" >&2; exit 1 ;;
esac
exit 0
`;

function setup(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), "tslima-autostart-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, "home");
  mkdirSync(join(home, "vm1"), { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  writeFileSync(join(home, "vm1", "lima.yaml"), "images:\n- location: /nonexistent.qcow2\n");
  const bin = join(root, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "systemctl"), FAKE, { mode: 0o755 });
  const calls = join(root, "calls");
  const unitDir = join(root, "cfg", "systemd", "user");
  const unit = join(unitDir, "lima-vm@vm1.service");
  const env: NodeJS.ProcessEnv = { ...process.env, TSLIMA_HOME: home, XDG_CONFIG_HOME: join(root, "cfg"), PATH: `${bin}:${process.env.PATH ?? ""}`, CALLS: calls, FAKE_SYSTEMCTL: "" };
  delete env.LIMA_HOME;
  // limactl's log lines read back in tslima's style, so one set of checks serves both names
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}, entry = limactl) => {
    const r = spawnSync(process.execPath, [entry, ...args], { encoding: "utf8", env: { ...env, ...extra } });
    return { ...r, stderr: asOwnStyle(r.stderr) };
  };
  const takeCalls = (): string[] => {
    if (!existsSync(calls)) return [];
    const lines = readFileSync(calls, "utf8").split("\n").filter((l) => l !== "");
    rmSync(calls);
    return lines;
  };
  return { root, home, unitDir, unit, run, takeCalls };
}

test("autostart enable writes the unit and enables it; enable again updates it; disable disables and removes it", (t) => {
  const { home, unit, run, takeCalls } = setup(t);
  const r = run(["autostart", "enable", "vm1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /instance vm1 registered to start at login \(lima-vm@vm1\.service\)/);
  assert.doesNotMatch(r.stderr, /warning/);
  assert.equal(readFileSync(unit, "utf8"), planAutostartUnit({ name: "vm1", node: process.execPath, limactl, home, homeFrom: "TSLIMA_HOME" }));
  assert.match(readFileSync(unit, "utf8"), new RegExp(`^ExecStart=${process.execPath} ${limactl} start vm1 --foreground$`, "m"), "this package's limactl, by absolute paths");
  assert.deepEqual(takeCalls(), ["--user daemon-reload", "--user enable lima-vm@vm1.service"]);

  const again = run(["autostart", "enable", "vm1"], {}, tslima);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /registered to start at login \(lima-vm@vm1\.service, updated\)/);
  assert.deepEqual(takeCalls(), ["--user daemon-reload", "--user enable lima-vm@vm1.service"]);

  const off = run(["autostart", "disable", "vm1"]);
  assert.equal(off.status, 0, off.stderr);
  assert.match(off.stderr, /instance vm1 unregistered from start at login/);
  assert.equal(existsSync(unit), false);
  assert.deepEqual(takeCalls(), ["--user daemon-reload", "--user disable lima-vm@vm1.service", "--user daemon-reload"]);

  const twice = run(["autostart", "disable", "vm1"]);
  assert.equal(twice.status, 0, twice.stderr);
  assert.match(twice.stderr, /instance vm1 is not registered for automatic startup/);
  assert.deepEqual(takeCalls(), []);
});

test("without a user manager or without systemctl: the file is written or removed, and one warning says what to run", (t) => {
  const { root, unitDir, unit, run, takeCalls } = setup(t);
  const r = run(["autostart", "enable", "vm1"], { FAKE_SYSTEMCTL: "nobus" });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(unit));
  assert.match(r.stderr, /^instance vm1: wrote lima-vm@vm1\.service, not enabled \(see the warning\)$/m);
  const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0]!, /no systemd user manager answers \(systemctl --user daemon-reload: Failed to connect to bus: No medium found\)/);
  assert.ok(warnings[0]!.includes(`wrote ${unit}`), warnings[0]);
  assert.match(warnings[0]!, /`systemctl --user daemon-reload && systemctl --user enable lima-vm@vm1\.service`/);
  assert.deepEqual(takeCalls(), ["--user daemon-reload"]);

  // a link an earlier enable made goes with the file
  mkdirSync(join(unitDir, "default.target.wants"));
  const link = join(unitDir, "default.target.wants", "lima-vm@vm1.service");
  symlinkSync(unit, link);
  const empty = join(root, "empty");
  mkdirSync(empty);
  const off = run(["autostart", "disable", "vm1"], { PATH: empty });
  assert.equal(off.status, 0, off.stderr);
  assert.match(off.stderr, /^instance vm1: removed lima-vm@vm1\.service \(see the warning\)$/m);
  assert.match(off.stderr, /warning: systemctl is not installed: removed .*lima-vm@vm1\.service; vm1 is not unregistered from systemd until you run `systemctl --user daemon-reload`/);
  assert.equal(existsSync(unit), false);
  assert.throws(() => readlinkSync(link), "the default.target.wants link is removed");
  assert.deepEqual(takeCalls(), []);
});

test("refusals: a unit tslima did not write, another home's unit, an unknown instance, --condition=boot, systemctl refusing", (t) => {
  const { root, home, unitDir, unit, run, takeCalls } = setup(t);
  mkdirSync(unitDir, { recursive: true });
  const lima = "[Service]\nExecStart=/usr/local/bin/limactl start %i --foreground\n";
  writeFileSync(unit, lima);
  for (const verb of ["enable", "disable"]) {
    const r = run(["autostart", verb, "vm1"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /error: .*lima-vm@vm1\.service exists and was not written by tslima/);
    assert.match(r.stderr, /code: ERR_TSLIMA_AUTOSTART_CONFLICT/);
    assert.equal(readFileSync(unit, "utf8"), lima, "left alone");
  }
  rmSync(unit);
  assert.equal(run(["autostart", "enable", "vm1"], { TSLIMA_HOME: "", LIMA_HOME: home }).status, 0);
  const other = join(root, "other");
  mkdirSync(other, { mode: 0o700 });
  const r = run(["autostart", "disable", "vm1"], { TSLIMA_HOME: other });
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`starts the instance vm1 of another home (TSLIMA_HOME=${home})`), r.stderr);
  assert.ok(r.stderr.includes(`hint: one unit per instance name: run \`TSLIMA_HOME=${home} tslima autostart disable vm1\` first`), r.stderr);
  assert.match(readFileSync(unit, "utf8"), /^Environment=LIMA_HOME=/m, "LIMA_HOME in effect is kept for the unit");
  takeCalls();

  const unknown = run(["autostart", "enable", "nope"]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /code: ERR_TSLIMA_UNKNOWN_INSTANCE/);
  const boot = run(["autostart", "enable", "--condition=boot", "vm1"]);
  assert.equal(boot.status, 1);
  assert.match(boot.stderr, /--condition=boot .*macOS only[\s\S]*code: ERR_TSLIMA_AUTOSTART_UNSUPPORTED/);
  assert.deepEqual(takeCalls(), []);

  const refused = run(["autostart", "disable", "vm1"], { FAKE_SYSTEMCTL: "refuse" });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /systemctl --user disable lima-vm@vm1\.service failed: Failed to disable unit: Access denied[\s\S]*code: ERR_TSLIMA_AUTOSTART_FAILED/);
  assert.ok(existsSync(unit), "kept until it can be disabled");
});

test("arguments: exactly one instance name, a valid one; start-at-login's NAME defaults to default", (t) => {
  const { run, takeCalls } = setup(t);
  const none = run(["autostart", "enable"]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /error: missing required argument 'instance'/);
  const two = run(["autostart", "disable", "vm1", "vm2"]);
  assert.equal(two.status, 1);
  assert.match(two.stderr, /error: too many arguments for 'disable'/);
  const bad = run(["autostart", "disable", "../vm1"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /error: invalid instance name "\.\.\/vm1"[\s\S]*hint: name an instance `tslima list` shows[\s\S]*code: ERR_TSLIMA_INVALID_NAME/);
  const dflt = run(["start-at-login", "--enabled=false"]);
  assert.equal(dflt.status, 0, dflt.stderr);
  assert.match(dflt.stderr, /instance default is not registered for automatic startup/);
  const notBool = run(["start-at-login", "--enabled=maybe", "vm1"]);
  assert.equal(notBool.status, 1);
  assert.match(notBool.stderr, /--enabled takes true or false, not "maybe"/);
  assert.deepEqual(takeCalls(), []);
});

test("start-at-login (Lima's deprecated form): registers, --enabled=false unregisters", (t) => {
  const { unit, run, takeCalls } = setup(t);
  const on = run(["start-at-login", "vm1"]);
  assert.equal(on.status, 0, on.stderr);
  assert.match(on.stderr, /Command "start-at-login" is deprecated, use "limactl autostart" instead/);
  assert.ok(existsSync(unit));
  const off = run(["start-at-login", "--enabled=false", "vm1"]);
  assert.equal(off.status, 0, off.stderr);
  assert.equal(existsSync(unit), false);
  assert.deepEqual(takeCalls(), ["--user daemon-reload", "--user enable lima-vm@vm1.service", "--user daemon-reload", "--user disable lima-vm@vm1.service", "--user daemon-reload"]);
});

test("delete takes the instance's unit with it", (t) => {
  const { home, unit, run, takeCalls } = setup(t);
  assert.equal(run(["autostart", "enable", "vm1"]).status, 0);
  takeCalls();
  const r = run(["delete", "vm1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /removed the autostart unit lima-vm@vm1\.service/);
  assert.equal(existsSync(unit), false);
  assert.equal(existsSync(join(home, "vm1")), false);
  assert.deepEqual(takeCalls(), ["--user daemon-reload", "--user disable lima-vm@vm1.service", "--user daemon-reload"]);
});

test("list --json: autoStartedIdentifier when the host agent runs in the unit, omitted otherwise (Lima's omitempty)", () => {
  const info: InstanceInfo = { name: "vm1", status: "Running", dir: "/h/vm1", vmType: "qemu", arch: "x86_64", cpus: 1, memory: 1, disk: 1, sshLocalPort: 1, sshConfigFile: "/h/vm1/ssh.config", errors: [], hostname: "lima-vm1", protected: false };
  const host = { hostOS: "linux", hostArch: "x86_64", home: "/h", identityFile: "/h/_config/user" };
  assert.equal(limaInstanceJson({ ...info, autoStartedIdentifier: "lima-vm@vm1.service" }, host).autoStartedIdentifier, "lima-vm@vm1.service");
  assert.equal("autoStartedIdentifier" in limaInstanceJson(info, host), false);
});
