// `autostart enable`'s systemd user unit (autostart-unit.ts, pure): its text pinned by golden files
// (test/fixtures/autostart/*.service; UPDATE_GOLDEN=1 rewrites them), systemd's quoting of paths,
// where the unit goes, how a unit tslima wrote is told from another, and Lima's autoStartedIdentifier.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturesDir } from "../../helpers.js";
import { autostartUnitName, autoStartedUnit, planAutostartUnit, systemdWord, unitHome, userUnitDir, type AutostartInputs } from "../../../src/instance/autostart-unit.js";
import { checkCondition } from "../../../src/cli/autostart.js";

const GOLDEN = join(fixturesDir, "autostart");

function golden(file: string, text: string): void {
  const path = join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, text);
  }
  assert.equal(text, readFileSync(path, "utf8"), `${path} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

const base: AutostartInputs = {
  name: "default",
  node: "/usr/bin/node",
  limactl: "/opt/tslima/bin/limactl.js",
  home: "/home/alice/.tslima",
  homeFrom: "default",
};

test("the unit: limactl start NAME --foreground, SIGTERM to the agent only, the home in effect", () => {
  golden("default.service", planAutostartUnit(base));
  golden("lima-home.service", planAutostartUnit({ ...base, name: "dev-1", home: "/srv/lima", homeFrom: "LIMA_HOME" }));
  golden("odd-paths.service", planAutostartUnit({ ...base, name: "my_vm.2", node: "/opt/node 20/bin/node", limactl: "/home/a$b/100%/bin/limactl.js", home: '/home/a "q"\\x/tslima', homeFrom: "TSLIMA_HOME" }));
});

const hasAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

test("systemd reads the units without a complaint, odd paths included (systemd-analyze verify)", { skip: hasAnalyze ? false : "needs systemd-analyze" }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-unit-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // as the user manager reads them (it needs a runtime directory, which this container's session lacks)
  const runtime = join(dir, "runtime");
  mkdirSync(runtime, { mode: 0o700 });
  const verify = (file: string) => spawnSync("systemd-analyze", ["--user", "verify", file], { encoding: "utf8", env: { ...process.env, XDG_RUNTIME_DIR: runtime } });
  const units: Array<[string, AutostartInputs]> = [
    ["default", { ...base, node: process.execPath }],
    ["dev-1", { ...base, name: "dev-1", node: process.execPath, home: "/srv/lima", homeFrom: "LIMA_HOME" }],
    ["my_vm.2", { ...base, name: "my_vm.2", node: process.execPath, limactl: "/home/a$b/100%/bin/limactl.js", home: '/home/a "q"\\x/t s', homeFrom: "TSLIMA_HOME" }],
  ];
  for (const [name, inputs] of units) {
    const file = join(dir, autostartUnitName(name));
    writeFileSync(file, planAutostartUnit(inputs));
    const r = verify(file);
    assert.equal(`${r.stdout}${r.stderr}`, "", `systemd-analyze verify ${file}`);
    assert.equal(r.status, 0);
  }
  // the check can fail: a key systemd cannot parse is reported
  const bad = join(dir, autostartUnitName("bad"));
  writeFileSync(bad, planAutostartUnit({ ...base, name: "bad", node: process.execPath }).replace("KillMode=process", "KillMode=sometimes"));
  assert.match(verify(bad).stderr, /kill mode/i);
});

test("systemdWord: plain words stay, % and $ are doubled, blanks and quotes are quoted with escapes", () => {
  assert.equal(systemdWord("/usr/bin/node", "node path", true), "/usr/bin/node");
  assert.equal(systemdWord("/a%b/$HOME", "x", true), "/a%%b/$$HOME");
  assert.equal(systemdWord("TSLIMA_HOME=/a%b/$HOME", "x", false), "TSLIMA_HOME=/a%%b/$HOME", "no variable expansion in Environment=");
  assert.equal(systemdWord("/a b/c", "x", true), '"/a b/c"');
  assert.equal(systemdWord('/a"b\\c', "x", true), '"/a\\"b\\\\c"');
  assert.equal(systemdWord("/a'b", "x", true), '"/a\'b"');
  assert.throws(() => systemdWord("/a\nb", "TSLIMA_HOME", false), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_AUTOSTART_FAILED" && /TSLIMA_HOME .*control character/.test(e.message));
});

test("the unit's name and directory: Lima's lima-vm@NAME.service under $XDG_CONFIG_HOME/systemd/user", () => {
  assert.equal(autostartUnitName("default"), "lima-vm@default.service");
  assert.equal(userUnitDir({}, "/home/alice"), "/home/alice/.config/systemd/user");
  assert.equal(userUnitDir({ XDG_CONFIG_HOME: "" }, "/home/alice/"), "/home/alice/.config/systemd/user");
  assert.equal(userUnitDir({ XDG_CONFIG_HOME: "/tmp/cfg/" }, "/home/alice"), "/tmp/cfg/systemd/user");
  assert.equal(userUnitDir({ XDG_CONFIG_HOME: "relative/cfg" }, "/home/alice"), "/home/alice/.config/systemd/user", "a relative XDG_CONFIG_HOME is ignored (XDG spec)");
});

test("unitHome: the home of a unit tslima wrote; nothing for Lima's or a hand-made unit", () => {
  const odd = '/home/a "q"\\x/tslima';
  assert.equal(unitHome(planAutostartUnit({ ...base, home: odd, homeFrom: "TSLIMA_HOME" })), odd);
  const lima = "[Unit]\nDescription=Lima\n\n[Service]\nExecStart=/usr/local/bin/limactl start %i --foreground\n";
  assert.equal(unitHome(lima), undefined);
  assert.equal(unitHome("# tslima-home: not json\n"), undefined);
  assert.equal(unitHome("# tslima-home: 42\n"), undefined);
});

test("autoStartedUnit: the instance's unit when the agent's cgroup is in it (Lima's autoStartedIdentifier)", () => {
  const inUnit = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/lima-vm@default.service\n";
  assert.equal(autoStartedUnit(inUnit, "default"), "lima-vm@default.service");
  assert.equal(autoStartedUnit(inUnit, "dev"), undefined, "another instance's unit");
  assert.equal(autoStartedUnit("0::/user.slice/user-1000.slice/session-3.scope\n", "default"), undefined);
  assert.equal(autoStartedUnit("12:pids:/user.slice/user-1000.slice/user@1000.service/lima-vm@default.service\n1:name=systemd:/x\n", "default"), "lima-vm@default.service", "cgroup v1 lines");
  assert.equal(autoStartedUnit("", "default"), undefined);
});

test("--condition: login only; boot is macOS-only in Lima; --user only with boot", () => {
  assert.equal(checkCondition("login", undefined), undefined);
  assert.match(checkCondition("login", "bob") ?? "", /--user applies only to --condition=boot/);
  assert.throws(() => checkCondition("boot", undefined), (e: Error & { code?: string; hint?: string }) => e.code === "ERR_TSLIMA_AUTOSTART_UNSUPPORTED" && /macOS only/.test(e.message) && /--condition=login/.test(e.hint ?? ""));
  assert.throws(() => checkCondition("logon", undefined), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_INVALID_FLAG" && /"logon"/.test(e.message));
});
