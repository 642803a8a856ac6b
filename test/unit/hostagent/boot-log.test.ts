import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FOLLOW_SCRIPT, followBootLog, isBootSetupEnd } from "../../../src/hostagent/boot-log.js";
import { agentArgs, parseAgentArgs } from "../../../src/hostagent/agent-io.js";
import { progressPrinter } from "../../../src/cli/start.js";
import { instancePaths } from "../../../src/store/paths.js";
import { spawnSync } from "node:child_process";
import { cliPath } from "../../helpers.js";

/**
 * `start --progress`: the follower of the guest's boot log, with a fake `ssh` first on PATH that
 * records its arguments and prints what a following journalctl would, then waits as `-f` does.
 */
test("followBootLog: each line of the guest's boot log, in order, until stopped; the journal of this boot, as root", async () => {
  const d = mkdtempSync(join(tmpdir(), "tslima-boot-log-"));
  const bin = join(d, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "ssh"), `#!/bin/sh\nprintf '%s\\n' "$@" >"${d}/argv"\nprintf 'Cloud-init v. 22.4.2 running %s\\n\\n' "'init'"\nprintf 'line two\\n'\nsleep 1\nprintf 'Cloud-init v. 22.4.2 finished at now\\nunfinished'\nexec sleep 30\n`, { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved ?? ""}`;
  try {
    const lines: string[] = [];
    const f = followBootLog(instancePaths(d, "i"), (l) => lines.push(l), (w) => assert.fail(w));
    const t0 = Date.now();
    while (lines.length < 1 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    // the guest is ready: the follower shows the log up to the end of the boot setup, then ends
    await f.stop(true);
    assert.ok(Date.now() - t0 < 15_000, "stopped at the end line, not after the guest's 30 s");
    assert.deepEqual(lines, ["Cloud-init v. 22.4.2 running 'init'", "line two", "Cloud-init v. 22.4.2 finished at now"], "blank lines and an unfinished one are not shown");
    const argv = readFileSync(join(d, "argv"), "utf8");
    assert.match(argv, /sudo -n sh -c 'exec journalctl -b -f /, "the journal of this boot, as root");
    assert.match(FOLLOW_SCRIPT, /journalctl -b -f -n all -q -o cat .*-u cloud-final\.service .*-u tslima-boot\.service/);
    // a failed wait ends it at once
    const t1 = Date.now();
    await followBootLog(instancePaths(d, "i"), () => undefined, (w) => assert.fail(w)).stop(false);
    assert.ok(Date.now() - t1 < 5000);
  } finally {
    process.env.PATH = saved;
    rmSync(d, { recursive: true, force: true });
  }
});

test("start --progress reaches the agent: its argv says --progress and the agent reads it back; no flag, no option", () => {
  assert.deepEqual(agentArgs("/h/i", { progress: true }), ["/h/i", "--progress"]);
  assert.deepEqual(agentArgs("/h/i", {}), ["/h/i"]);
  assert.deepEqual(parseAgentArgs(agentArgs("/h/i", { progress: true })), { dir: "/h/i", progress: true });
  assert.deepEqual(parseAgentArgs(agentArgs("/h/i", {})), { dir: "/h/i", progress: false });
  for (const bad of [[], ["--progress"], ["/h/i", "--verbose"]]) assert.equal(parseAgentArgs(bad), undefined, bad.join(" "));
});

test("the CLI prints the agent's cloud-init lines as it prints its messages", () => {
  let out = "";
  const print = progressPrinter((s) => (out += s));
  print({ time: "", status: {}, kind: "message", message: "[cloud-init] Cloud-init v. 22.4.2 finished" });
  assert.match(out, /^\[ +\d+\.\ds\] {3}\[cloud-init\] Cloud-init v\. 22\.4\.2 finished\n$/);
});

test("the end of the boot setup: cloud-init's closing line, or systemd's for tslima-boot.service on a light boot", () => {
  assert.equal(isBootSetupEnd("Cloud-init v. 22.4.2 finished at Mon, 07 Dec 2026 22:33:01 +0000. Datasource DataSourceNoCloud.  Up 290.1 seconds"), true);
  assert.equal(isBootSetupEnd("Finished tslima-boot.service - tslima per-boot setup."), true);
  assert.equal(isBootSetupEnd("Cloud-init v. 22.4.2 running 'modules:final' at now"), false);
  assert.equal(isBootSetupEnd("Finished cloud-init.service - Initial cloud-init job."), false);
});

test("start and restart take --progress, as Lima's", () => {
  for (const cmd of ["start", "restart"]) {
    const r = spawnSync(process.execPath, [cliPath, cmd, "--help"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.replace(/\s+/g, " "), /--progress show the guest's cloud-init output while it boots/, cmd);
  }
});

test("followBootLog: a guest whose log cannot be read (no passwordless sudo) gives one warning saying why", async () => {
  const d = mkdtempSync(join(tmpdir(), "tslima-boot-log-"));
  const bin = join(d, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "ssh"), "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n", { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved ?? ""}`;
  try {
    const warned: string[] = [];
    const f = followBootLog(instancePaths(d, "i"), (l) => assert.fail(l), (w) => warned.push(w));
    const t0 = Date.now();
    while (warned.length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    await f.stop(true);
    assert.deepEqual(warned, ["start --progress: the guest's boot log cannot be followed (sudo: a password is required); it is read as root with sudo -n (user.passwordlessSudo)"]);
  } finally {
    process.env.PATH = saved;
    rmSync(d, { recursive: true, force: true });
  }
});
