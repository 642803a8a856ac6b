// `limactl shell` and `lima` as scripts written for Lima call them (Lima's hack/bats shell tests):
// the instance as an argument or --instance, `--`, flags after the command being the command's,
// Lima's usage errors and its messages for a missing or a stopped instance under the name limactl,
// tslima's own (error, hint, code) under its name. Nothing here boots or needs a guest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";
import { logSummary } from "../support/logrus.js";

const BIN = { limactl: "limactl.js", lima: "lima.js", tslima: "tslima.js" } as const;

/** A TSLIMA_HOME with one stopped instance, "vm" (a lima.yaml and no processes). */
function withStoppedVm(fn: (run: (bin: keyof typeof BIN, args: string[], env?: NodeJS.ProcessEnv) => { status: number | null; stderr: string }) => void): void {
  const home = mkdtempSync(join(tmpdir(), "tslima-shell-flags-"));
  try {
    mkdirSync(join(home, "vm"), { mode: 0o700 });
    writeFileSync(join(home, "vm", "lima.yaml"), 'images:\n- location: "/nonexistent.qcow2"\n  arch: "x86_64"\n');
    fn((bin, args, env = {}) => {
      const r = spawnSync(process.execPath, [join(repoRoot, "bin", BIN[bin]), ...args], {
        encoding: "utf8",
        input: "",
        env: { ...process.env, TSLIMA_HOME: home, LIMA_INSTANCE: "", LIMA_SHELL: "", LIMA_WORKDIR: "", ...env },
      });
      return { status: r.status, stderr: r.stderr };
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

// under limactl, Lima's log lines, read back as "level: msg" (test/support/logrus.ts)
const STOPPED = "fatal: instance `vm` is stopped, run `limactl start vm` to start the instance";
const missing = (name: string) => `fatal: instance \`${name}\` does not exist, run \`limactl create ${name}\` to create a new instance`;

test("limactl shell: a stopped instance and a missing one fail (exit 1) with Lima's words, the instance as argument or --instance alike", () =>
  withStoppedVm((run) => {
    for (const args of [
      ["shell", "--tty=false", "vm", "true"],
      ["shell", "--instance", "vm", "true"],
      ["--debug", "shell", "--instance=vm", "--tty=false"],
      ["shell", "vm", "--", "--nonexistent-flag"],
      ["shell", "--instance", "vm", "--", "--nonexistent-flag"],
      ["shell", "vm", "ls", "--nonexistent-flag"],
      ["shell", "--workdir", "/", "--start=false", "vm", "ls"],
    ]) {
      const r = run("limactl", args);
      assert.equal(r.status, 1, args.join(" "));
      // --debug adds the error's stack as a debug line
      assert.deepEqual(logSummary(r.stderr).filter((l) => !l.startsWith("debug: ")), [STOPPED], `${args.join(" ")}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /unknown flag|hint=/);
    }
    const positional = run("limactl", ["shell", "--tty=false", "nonexistent"]);
    const flag = run("limactl", ["shell", "--tty=false", "--instance", "nonexistent"]);
    assert.equal(positional.status, 1);
    assert.deepEqual(logSummary(positional.stderr), [missing("nonexistent")], positional.stderr);
    assert.deepEqual(logSummary(flag.stderr), logSummary(positional.stderr));
  }));

test("limactl shell: usage errors exit 1 in Lima's (pflag's) words; flags after the instance or the command are the command's", () =>
  withStoppedVm((run) => {
    for (const [args, message] of [
      [["shell"], "requires instance name as first argument"],
      [["shell", "--tty=false"], "requires instance name as first argument"],
      [["shell", "--instance", "vm", "--nonexistent-flag"], "unknown flag: --nonexistent-flag"],
      [["shell", "--nonexistent-flag", "vm"], "unknown flag: --nonexistent-flag"],
      [["shell", "-x", "vm"], "unknown shorthand flag: 'x' in -x"],
      [["shell", "vm", "--workdir"], undefined],
      [["shell", "--workdir"], "flag needs an argument: --workdir"],
      [["shell", "--start=soon", "vm"], 'invalid argument "soon" for "--start" flag: use true or false'],
    ] as const) {
      const r = run("limactl", [...args]);
      assert.equal(r.status, 1, args.join(" "));
      assert.deepEqual(logSummary(r.stderr), [message === undefined ? STOPPED : `fatal: ${message}`], args.join(" "));
    }
  }));

test("tslima shell keeps its own error, hint and code for a stopped or missing instance", () =>
  withStoppedVm((run) => {
    const stopped = run("tslima", ["shell", "--instance", "vm", "true"]);
    assert.equal(stopped.status, 1);
    assert.match(stopped.stderr, /^error: instance vm is Stopped\nhint: start it: tslima start vm \(or shell --start\)\ncode: ERR_TSLIMA_NOT_RUNNING\n$/);
    const missingOne = run("tslima", ["shell", "nosuch"]);
    assert.equal(missingOne.status, 1);
    assert.match(missingOne.stderr, /^error: instance "nosuch" does not exist\nhint: existing instances: vm\ncode: ERR_TSLIMA_UNKNOWN_INSTANCE\n$/);
  }));

test("lima: $LIMA_INSTANCE (default `default`), limactl shell's flags passed on, an unknown one refused, `lima start` warned about", () =>
  withStoppedVm((run) => {
    const forwarded = run("lima", ["--tty=false", "--start=false"], { LIMA_INSTANCE: "vm" });
    assert.equal(forwarded.status, 1);
    assert.deepEqual(logSummary(forwarded.stderr), [STOPPED], forwarded.stderr);
    const unknown = run("lima", ["--tty=false", "--nonexistent-flag"], { LIMA_INSTANCE: "vm" });
    assert.deepEqual({ status: unknown.status, said: logSummary(unknown.stderr) }, { status: 1, said: ["fatal: unknown flag: --nonexistent-flag"] });
    const dashed = run("lima", ["--", "--nonexistent-flag"], { LIMA_INSTANCE: "vm", LIMA_WORKDIR: "/tmp" });
    assert.deepEqual(logSummary(dashed.stderr), [STOPPED], dashed.stderr);
    const byDefault = run("lima", ["uname", "-a"]);
    assert.equal(byDefault.status, 1);
    assert.deepEqual(logSummary(byDefault.stderr), [missing("default")], byDefault.stderr);
    const typo = run("lima", ["start"], { LIMA_INSTANCE: "vm" });
    assert.deepEqual(logSummary(typo.stderr), ["warning: perhaps you meant `limactl start`?", STOPPED], typo.stderr);
  }));

test("limactl shell on a terminal asks whether to start a stopped instance (Lima 2.x); no means the stopped error; --start=false and no terminal never ask", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-shell-ask-"));
  try {
    mkdirSync(join(home, "vm"), { mode: 0o700 });
    writeFileSync(join(home, "vm", "lima.yaml"), 'images:\n- location: "/nonexistent.qcow2"\n  arch: "x86_64"\n');
    // util-linux `script` gives the command a pseudo-terminal; the answer comes on its stdin
    const onTty = (args: string[]) =>
      spawnSync("script", ["-qec", [process.execPath, join(repoRoot, "bin", "limactl.js"), "shell", ...args].map((w) => `'${w}'`).join(" "), "/dev/null"], {
        encoding: "utf8",
        input: "n\n",
        env: { ...process.env, TSLIMA_HOME: home, TSLIMA_DEBUG: "", TERM: "dumb" },
      });
    const asked = onTty(["vm", "true"]);
    assert.equal(asked.status, 1, asked.stdout);
    assert.match(asked.stdout, /Do you want to start the instance now\? \[Y\/n\] /);
    assert.match(asked.stdout, /instance `vm` is stopped, run `limactl start vm` to start the instance/);
    const notAsked = onTty(["--start=false", "vm", "true"]);
    assert.equal(notAsked.status, 1);
    assert.doesNotMatch(notAsked.stdout, /Do you want/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
