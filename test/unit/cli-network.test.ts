// `limactl network` / `tslima network`: Lima's table, JSON lines and messages on a real networks.yaml.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logSummary } from "../support/logrus.js";
import { repoRoot } from "../helpers.js";

const limactl = join(repoRoot, "bin", "limactl.js");
const tslima = join(repoRoot, "bin", "tslima.js");

function withHome(fn: (run: (bin: string, args: string[]) => { status: number | null; stdout: string; stderr: string }, home: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "tslima-netcli-"));
  const home = join(dir, "h");
  try {
    fn((bin, args) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, TSLIMA_HOME: home, LIMA_HOME: "" } }), home);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("limactl network: Lima's table, JSON lines, messages and errors", () => {
  withHome((run, home) => {
    let r = run(limactl, ["network", "ls"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, ["NAME       MODE       GATEWAY             INTERFACE", "bridged    bridged    -                   en0", "host       host       192.168.106.1/24    -", "shared     shared     192.168.105.1/24    -", "user-v2    user-v2    192.168.104.1/24    -", ""].join("\n"));
    r = run(limactl, ["network", "create", "foo", "--gateway", "192.168.42.1/24"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(logSummary(r.stderr), [], "Lima's create says nothing");
    assert.match(readFileSync(join(home, "_config", "networks.yaml"), "utf8"), /^# Networks instances can join/);
    r = run(limactl, ["network", "list", "--json", "foo", "nope", "bridged"]);
    assert.equal(r.stdout, '{"name":"foo","mode":"user-v2","gateway":"192.168.42.1","netmask":"255.255.255.0"}\n{"name":"bridged","mode":"bridged","interface":"en0"}\n');
    assert.deepEqual(logSummary(r.stderr), ["warning: No network matching nope found."]);
    r = run(limactl, ["network", "create", "foo", "--gateway", "192.168.43.1"]);
    assert.equal(r.status, 1);
    assert.deepEqual(logSummary(r.stderr), ["fatal: network `foo` already exists"]);
    r = run(limactl, ["network", "create", "b2", "--mode", "bridged"]);
    assert.deepEqual(logSummary(r.stderr), ["fatal: network mode `bridged` requires specifying interface"]);
    r = run(limactl, ["network", "rm", "foo"]);
    assert.equal(r.status, 1);
    assert.deepEqual(logSummary(r.stderr), ["fatal: `limactl network delete` currently always requires `--force`"]);
    r = run(limactl, ["network", "delete", "--force", "foo", "missing"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(logSummary(r.stderr), []);
    assert.doesNotMatch(run(limactl, ["network", "ls"]).stdout, /^foo /m);
  });
});

test("tslima network: its own words, and a warning for a mode it cannot run", () => {
  withHome((run) => {
    let r = run(tslima, ["network", "create", "lan", "--mode", "bridged", "--interface", "eth0"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^warning: network lan is a bridged network, which needs socket_vmnet .*user-v2 networks only\ncreated network lan \(bridged, interface eth0\) in .*networks\.yaml\n$/);
    r = run(tslima, ["network", "create", "lab", "--gateway", "192.168.104.9/16"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: .*networks\.yaml: networks\.lab\.gateway: the subnet of lab \(192\.168\.104\.9\/16\) overlaps that of user-v2/);
    assert.match(r.stderr, /\ncode: ERR_TSLIMA_NETWORKS_CONFIG\n$/);
    r = run(tslima, ["network", "rm", "-f", "lan", "nope"]);
    assert.equal(r.stderr, "deleted network lan\nwarning: network nope does not exist; nothing to delete\n");
  });
});
