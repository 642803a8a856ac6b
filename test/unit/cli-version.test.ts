// What tools written for Lima check before anything else (issue 32): `limactl --version` in cobra's
// form with the Lima version tslima follows, `info`'s version, and an unknown command failing as in
// Lima (cobra), also when followed by --help. Every case runs the real bin entry points.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "../helpers.js";
import { logSummary } from "../support/logrus.js";
import { LIMA_VERSION } from "../../src/version.js";

const pkgVersion = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

/** The commands the package installs, as `npm install -g` links them (package.json "bin"). */
const BINS = {
  /** the sh launcher, which hands everything but a fast `shell` to bin/tslima.js */
  tslima: join(repoRoot, "bin", "tslima"),
  "tslima.js": join(repoRoot, "bin", "tslima.js"),
  limactl: join(repoRoot, "bin", "limactl.js"),
  lima: join(repoRoot, "bin", "lima.js"),
};

function run(bin: keyof typeof BINS, args: string[], env: NodeJS.ProcessEnv = {}) {
  const path = BINS[bin];
  // the sh launcher runs `node` from PATH
  const base = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, ...env };
  const r = path.endsWith(".js")
    ? spawnSync(process.execPath, [path, ...args], { encoding: "utf8", env: base })
    : spawnSync(path, args, { encoding: "utf8", env: base });
  assert.equal(r.error, undefined);
  return r;
}

/** Lima's own reading of a version (pkg/version/versionutil.Parse: no "v", nothing from the first "-", no ".m"), then semver's core. */
function limaCore(v: string): [number, number, number] {
  const cut = v.replace(/^v/, "").split("-")[0]!.replace(/\.m$/, "");
  const m = /^(\d+)\.(\d+)\.(\d+)(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/.exec(cut);
  assert.ok(m, `${v} is not a semver version`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

test("limactl -v, --version (also after a global flag) and `lima --version` print cobra's line with Lima's version, tslima's as build metadata", () => {
  const expected = `limactl version ${LIMA_VERSION}+tslima.${pkgVersion}\n`;
  for (const [bin, args] of [
    ["limactl", ["--version"]],
    ["limactl", ["-v"]],
    ["limactl", ["--debug", "--version"]],
    ["lima", ["--version"]],
    ["lima", ["-v"]],
  ] as const) {
    const r = run(bin, [...args]);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, expected, ""], `${bin} ${args.join(" ")}`);
  }
  // what a front end reads: the last word, ordered as LIMA_VERSION by a semver comparison and by Lima's parser
  const word = expected.trim().split(" ").at(-1)!;
  assert.deepEqual(limaCore(word), LIMA_VERSION.split(".").map(Number));
  assert.deepEqual(limaCore(`v${word}`), limaCore(word));
});

test("tslima -v and --version (the sh launcher and bin/tslima.js) print tslima's own version", () => {
  for (const bin of ["tslima", "tslima.js"] as const) {
    for (const args of [["--version"], ["-v"], ["--debug", "--version"]]) {
      const r = run(bin, args);
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, `${pkgVersion}\n`, ""], `${bin} ${args.join(" ")}`);
    }
  }
});

test("`version` is not a command, as in Lima (cobra gives only the flags): it fails under both names", () => {
  for (const bin of ["limactl", "tslima", "tslima.js"] as const) {
    const r = run(bin, ["version"]);
    const prog = bin === "limactl" ? "limactl" : "tslima";
    assert.equal(r.status, 1, `${bin} version`);
    assert.equal(r.stdout, "", `${bin} version`);
    assert.equal(logSummary(r.stderr)[0], `${prog === "limactl" ? "fatal" : "error"}: unknown command "version" for "${prog}"`);
  }
});

test("`info` reports the same version as limactl --version, and tslima's own as tslimaVersion, under both names", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-version-"));
  try {
    for (const bin of ["limactl", "tslima.js"] as const) {
      const r = run(bin, ["info"], { TSLIMA_HOME: home });
      assert.equal(r.status, 0, r.stderr);
      const info = JSON.parse(r.stdout) as { version: string; tslimaVersion: string };
      assert.equal(info.version, `${LIMA_VERSION}+tslima.${pkgVersion}`, bin);
      assert.equal(info.tslimaVersion, pkgVersion, bin);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("an unknown command fails with cobra's message and exit 1, with or without --help (before or after it), -v, or a global flag; no help is printed", () => {
  const cases: Array<[keyof typeof BINS, string[]]> = [
    ...[["nosuch"], ["nosuch", "--help"], ["nosuch", "-h"], ["--help", "nosuch"], ["nosuch", "--version"], ["--debug", "nosuch", "--help"], ["nosuch", "serve", "--help"]].map(
      (args): [keyof typeof BINS, string[]] => ["limactl", args],
    ),
    ["tslima", ["nosuch"]],
    ["tslima", ["nosuch", "--help"]],
    ["tslima.js", ["--help", "nosuch"]],
  ];
  for (const [bin, args] of cases) {
    const prog = bin === "limactl" ? "limactl" : "tslima";
    const what = `${bin} ${args.join(" ")}`;
    const r = run(bin, args);
    assert.equal(r.status, 1, what);
    assert.equal(r.stdout, "", what);
    // limactl: the one fatal log line; tslima: its error and where to find help
    // (a suggestion may follow the error: cobra's "Did you mean this?" in the message, commander's on a line)
    const said = logSummary(r.stderr).map((l) => l.split("\n")[0] ?? "").filter((l) => !l.startsWith("(Did you mean"));
    assert.deepEqual(said, prog === "limactl" ? ['fatal: unknown command "nosuch" for "limactl"'] : ['error: unknown command "nosuch" for "tslima"', "(run `tslima --help` for usage)"], what);
  }
  const typo = run("limactl", ["strat"]);
  assert.equal(typo.status, 1);
  assert.deepEqual(logSummary(typo.stderr), ['fatal: unknown command "strat" for "limactl"\n\nDid you mean this?\n\tstart\n']);
});

test("a known command or alias with --help, and `help COMMAND`, still print its help and exit 0", () => {
  for (const [bin, args, usage] of [
    ["limactl", ["cp", "--help"], "Usage: limactl copy"],
    ["limactl", ["--debug", "list", "--help"], "Usage: limactl list"],
    ["tslima", ["help", "info"], "Usage: tslima info"],
    ["limactl", ["--help"], "Usage: limactl [options] [command]"],
  ] as const) {
    const r = run(bin, [...args]);
    assert.equal(r.status, 0, `${bin} ${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stdout.startsWith(usage), `${bin} ${args.join(" ")}: ${r.stdout.slice(0, 80)}`);
  }
});
