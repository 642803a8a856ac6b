// What the CLI says on stderr under each name: under limactl Lima's log lines (logrus text, or JSON
// with --log-format json) with Lima's words for what scripts match; under tslima its own style.
// Both come from src/cli/log.ts and src/cli/messages.ts. Nothing here boots a guest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logSummary } from "../support/logrus.js";
import { repoRoot } from "../helpers.js";

const BIN = { limactl: "limactl.js", tslima: "tslima.js" } as const;

function withHome(fn: (run: (bin: keyof typeof BIN, args: string[], env?: NodeJS.ProcessEnv) => { status: number | null; stdout: string; stderr: string }, home: string) => void): void {
  const home = mkdtempSync(join(tmpdir(), "tslima-cli-log-"));
  try {
    fn((bin, args, env = {}) => {
      const e: NodeJS.ProcessEnv = { ...process.env, TSLIMA_HOME: home, ...env };
      delete e.TSLIMA_DEBUG;
      return spawnSync(process.execPath, [join(repoRoot, "bin", BIN[bin]), ...args], { encoding: "utf8", env: e, input: "" });
    }, home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function addInstance(home: string, name: string): void {
  mkdirSync(join(home, name), { mode: 0o700 });
  writeFileSync(join(home, name, "lima.yaml"), 'images:\n- location: "/nonexistent.qcow2"\n  arch: "x86_64"\ndisk: 1GiB\n');
}

test("limactl writes logrus text lines: time in RFC 3339, the level, msg and fields Go-quoted", () =>
  withHome((run) => {
    const r = run("limactl", ["list"]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=warning msg="No instance found\. Run `limactl create` to create an instance\."\n$/);
    const t = run("tslima", ["list"]);
    assert.equal(t.stderr, "warning: no instance found; create one with `tslima create` or `tslima start template:default`\n");
    // --log-format json: one object a line, under either name, with the same words as the text
    const j = run("limactl", ["--log-format", "json", "list"]);
    const o = JSON.parse(j.stderr) as Record<string, string>;
    assert.deepEqual([o.level, o.msg, Number.isNaN(Date.parse(o.time ?? ""))], ["warning", "No instance found. Run `limactl create` to create an instance.", false]);
    const tj = JSON.parse(run("tslima", ["list", "--log-format=json"]).stderr) as Record<string, string>;
    assert.equal(tj.level, "warning");
    // an error: one fatal line, hint and code as fields; --log-format text under tslima is Lima's too
    const e = run("tslima", ["--log-format", "text", "list", "-q", "--format", "json"]);
    assert.equal(e.status, 1);
    assert.match(e.stderr, /^time="[^"]+" level=fatal msg="option --quiet can only be used with '--format table'" hint="run `tslima list --help` for the flags" code=ERR_TSLIMA_INVALID_FLAG\n$/);
  }));

test("protect, unprotect and delete in Lima's words under limactl, tslima's under tslima; delete of a missing instance is a warning in Lima", () =>
  withHome((run, home) => {
    addInstance(home, "vm");
    const said = (bin: keyof typeof BIN, args: string[]) => {
      const r = run(bin, args);
      return [r.status, ...logSummary(r.stderr)];
    };
    assert.deepEqual(said("limactl", ["protect", "vm"]), [0, "info: Protected `vm`"]);
    assert.deepEqual(said("limactl", ["protect", "vm"]), [0, "warning: Instance `vm` is already protected. Skipping."]);
    assert.deepEqual(said("tslima", ["protect", "vm"]), [0, "warning: instance vm is already protected"]);
    assert.deepEqual(said("limactl", ["protect", "vm", "nosuch"]), [1, "warning: Instance `vm` is already protected. Skipping.", 'fatal: failed to inspect instance `nosuch`: instance "nosuch" does not exist']);
    assert.deepEqual(said("limactl", ["unprotect", "vm"]), [0, "info: Unprotected `vm`"]);
    assert.deepEqual(said("limactl", ["unprotect", "vm"]), [0, "warning: Instance `vm` isn't protected. Skipping."]);
    assert.deepEqual(said("tslima", ["unprotect", "vm"]), [0, "warning: instance vm is not protected"]);
    assert.deepEqual(said("limactl", ["delete", "gone"]), [0, "warning: Ignoring non-existent instance `gone`"]);
    assert.equal(said("tslima", ["delete", "gone"])[0], 1);
    // a directory without lima.yaml may be a clone in progress: never deleted by name
    mkdirSync(join(home, "half"), { mode: 0o700 });
    const half = said("limactl", ["delete", "--force", "half"]);
    assert.equal(half[0], 1);
    assert.match(String(half[1]), /^fatal: instance `half` directory `.*\/half` exists but its `lima\.yaml` could not be read; it was NOT deleted/);
    assert.ok(existsSync(join(home, "half")));
    assert.deepEqual(said("limactl", ["delete", "vm"]), [0, `info: Deleted \`vm\` (\`${join(home, "vm")}\`)`]);
  }));

test("list: broken instances warned about with their errors; JSON and YAML coloured for a terminal, meaning the same", () =>
  withHome((run, home) => {
    addInstance(home, "vm");
    mkdirSync(join(home, "probe"), { mode: 0o700 });
    const r = run("limactl", ["list", "--format", "json"]);
    assert.equal(r.status, 0);
    assert.deepEqual(logSummary(r.stderr), ["warning: instance `probe` has errors"]);
    const plain = run("limactl", ["list", "vm", "--format", "json"]).stdout;
    const coloured = run("limactl", ["list", "vm", "--format", "json"], { _LIMA_OUTPUT_IS_TTY: "1" }).stdout;
    assert.ok(coloured.includes("\x1b[0m"), coloured);
    // eslint-disable-next-line no-control-regex
    const stripped = coloured.replace(/\x1b\[[0-9;]*m/g, "");
    assert.deepEqual(JSON.parse(stripped), JSON.parse(plain));
    const yaml = run("limactl", ["list", "vm", "--format", "yaml"], { _LIMA_OUTPUT_IS_TTY: "1" }).stdout;
    assert.ok(yaml.includes("\x1b[0m"));
    // eslint-disable-next-line no-control-regex
    assert.equal(yaml.replace(/\x1b\[[0-9;]*m/g, ""), run("limactl", ["list", "vm", "--format", "yaml"]).stdout);
    // a field the instance lacks is Go's error, with nothing on stdout
    const unknown = run("limactl", ["list", "vm", "--format", "{{.Unknown}}"]);
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stdout, "");
    assert.match(logSummary(unknown.stderr)[0] ?? "", /^fatal: .*can't evaluate field Unknown/);
  }));

test("--yes is Lima's deprecated spelling of --tty=false for clone, edit and rename (a warning); with --tty it is an error", () =>
  withHome((run) => {
    const r = run("limactl", ["rename", "--yes", "nosuch", "other"]);
    assert.equal(r.status, 1);
    assert.equal(logSummary(r.stderr)[0], "warning: --yes flag is deprecated (--tty=false is still supported and works in the same way. Also consider using --start)");
    assert.doesNotMatch(run("limactl", ["list", "--yes"]).stderr, /deprecated/);
    const both = run("limactl", ["--tty=false", "-y", "list"]);
    assert.equal(both.status, 1);
    assert.deepEqual(logSummary(both.stderr), ["fatal: cannot use both --tty and --yes flags at the same time"]);
  }));
