import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { cliPath, fixturesDir, sharedDir } from "../helpers.js";

/** Runs bin/tslima.js with an empty TSLIMA_HOME (and no TSLIMA_TEMPLATES_PATH unless given). */
function tslima(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const home = mkdtempSync(join(tmpdir(), "tslima-cli-validate-"));
  try {
    const base = { ...process.env };
    delete base.TSLIMA_TEMPLATES_PATH;
    delete base.TSLIMA_DEBUG;
    return spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8", env: { ...base, TSLIMA_HOME: home, ...env } });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const broken = (name: string) => join(fixturesDir, "config", "broken", name);
const valid = join(fixturesDir, "config", "valid", "minimal.yaml");
const issueLine = /^(.+):(\d+):(\d+): (\S+): (.+)$/;

const cases: Array<[file: string, where: string, field: string, message: RegExp]> = [
  ["bad-indent.yaml", "6:6", "(yaml)", /bad indentation/],
  ["duplicate-key.yaml", "7:3", "mounts[0].writable", /duplicate key/],
  ["bad-security-model.yaml", "7:20", "mounts[0].9p.securityModel", /"passthrough", "mapped-xattr", "mapped-file", "none", got "mapped"/],
  ["msize-too-small.yaml", "7:12", "mounts[0].9p.msize", /at least 4KiB/],
  ["mountpoint-etc.yaml", "7:15", "mounts[1].mountPoint", /system path.*got "\/etc"/],
];

for (const [file, where, field, message] of cases) {
  test(`validate ${file}: exit 1, one FILE:LINE:COL: field: message line, no stack trace`, () => {
    const path = broken(file);
    const r = tslima(["validate", path]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `expected one error line, got:\n${r.stderr}`);
    const m = issueLine.exec(lines[0] ?? "");
    assert.ok(m, `not FILE:LINE:COL: field: message: ${lines[0]}`);
    assert.equal(m[1], path);
    assert.equal(`${m[2]}:${m[3]}`, where);
    assert.equal(m[4], field);
    assert.match(m[5] ?? "", message);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  });
}

test("validate: a valid file exits 0; several files report every error and exit 1", () => {
  const ok = tslima(["validate", valid]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /minimal\.yaml: OK/);
  const r = tslima(["validate", valid, broken("msize-too-small.yaml"), broken("mountpoint-etc.yaml")]);
  assert.equal(r.status, 1);
  const errors = r.stderr.split("\n").filter((l) => issueLine.test(l));
  assert.deepEqual(errors.map((l) => issueLine.exec(l)?.[4]), ["mounts[0].9p.msize", "mounts[1].mountPoint"]);
});

test("validate: an unknown field is a warning with its position; the file is still valid", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-cli-validate-"));
  try {
    const file = join(dir, "typo.yaml");
    writeFileSync(file, `${readFileSync(valid, "utf8")}cpu: 4\n`);
    const r = tslima(["validate", file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:9:1: cpu: warning: unknown field`, "m"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("validate --fill prints the filled YAML on stdout, in a stable order", () => {
  const r = tslima(["validate", "--fill", valid]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(tslima(["validate", "--fill", valid]).stdout, r.stdout);
  const filled = parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(filled).slice(0, 8), ["vmType", "os", "arch", "images", "cpus", "memory", "disk", "mounts"]);
  assert.equal(filled.vmType, "qemu");
  assert.equal(filled.disk, "100GiB");
  assert.equal(filled.mountType, "9p");
  const [mount] = filled.mounts as Array<Record<string, unknown>>;
  assert.equal(mount?.writable, false);
  assert.deepEqual(mount?.["9p"], { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cache: "fscache" });
});

test("validate --fill with Lima's default.yaml through TSLIMA_TEMPLATES_PATH", () => {
  const lima = join(sharedDir, "lima-templates");
  const r = tslima(["validate", "--fill", join(lima, "default.yaml")], { TSLIMA_TEMPLATES_PATH: lima });
  assert.equal(r.status, 0, r.stderr);
  const filled = parse(r.stdout) as Record<string, unknown>;
  assert.ok((filled.images as unknown[]).length > 0);
  assert.equal(filled.minimumLimaVersion, "2.0.0");
  assert.ok(!("cpuType" in filled), "fields the template leaves empty are not printed");
});

test("validate refuses macOS guests saying so, and names a template that is not found", () => {
  const lima = join(sharedDir, "lima-templates");
  const r = tslima(["validate", join(lima, "macos.yaml")], { TSLIMA_TEMPLATES_PATH: lima });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /os: guest os "Darwin" is not supported by tslima/);
  const missing = tslima(["validate", join(lima, "docker.yaml")]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /docker\.yaml:12:3: base\[0\]: template "_images\/ubuntu-lts" not found/);
});

test("template list shows the bundled templates, then TSLIMA_TEMPLATES_PATH ones", () => {
  const r = tslima(["template", "list"]);
  assert.equal(r.status, 0, r.stderr);
  const names = r.stdout.trim().split("\n");
  for (const n of ["default", "docker", "debian-12", "ubuntu-lts"]) assert.ok(names.includes(n), `${n} in ${names.join(" ")}`);
  const withLima = tslima(["template", "list", "--path"], { TSLIMA_TEMPLATES_PATH: join(sharedDir, "lima-templates") });
  const rows = withLima.stdout.trim().split("\n").map((l) => l.split("\t"));
  assert.ok(rows.some(([n]) => n === "k8s"));
  // first match wins: tslima's own default, not Lima's
  assert.ok(rows.find(([n]) => n === "default")?.[1]?.includes(join("src", "templates")));
});

test("template show and copy", () => {
  const show = tslima(["template", "show", "default"]);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /build:debian-12/);
  const dir = mkdtempSync(join(tmpdir(), "tslima-cli-template-"));
  try {
    const dest = join(dir, "mine.yaml");
    const copy = tslima(["template", "copy", "template:docker", dest]);
    assert.equal(copy.status, 0, copy.stderr);
    assert.ok(existsSync(dest));
    assert.match(readFileSync(dest, "utf8"), /base: template:default/);
    const again = tslima(["template", "copy", "docker", dest]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal(tslima(["template", "copy", "--force", "default", dest]).status, 0);
    assert.equal(readFileSync(dest, "utf8"), show.stdout);
    const missing = tslima(["template", "show", "no-such-template"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no template named "no-such-template"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
