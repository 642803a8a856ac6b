// `limactl yq` (Lima's embedded yq v4) run as a child process the way Lima's tests and users' scripts
// call it: an expression and stdin, files, -i, -n/-o/-I, -e, env(), and yq's exit codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";

const limactl = join(repoRoot, "bin", "limactl.js");
const tslima = join(repoRoot, "bin", "tslima.js");

function run(args: string[], input = "", env: Record<string, string> = {}, bin = limactl) {
  return spawnSync(process.execPath, [bin, ...args], { input, encoding: "utf8", env: { ...process.env, ...env } });
}

const template = `# my template
vmType: qemu
cpus: 4 # four cpus
param:
  release: "12" # Debian's
`;

test("limactl yq: an assignment on stdin keeps comments; reads, -n/-o json/-I 0, -p json, env()", () => {
  const cases: Array<[args: string[], stdin: string, stdout: string]> = [
    [['.disk = "1M"'], template, `${template}disk: 1M\n`],
    [[".cpus = 2"], template, template.replace("cpus: 4", "cpus: 2")],
    [["-r", ".param.release"], template, "12\n"],
    [[".param.release"], template, "12\n"],
    [["-o", "json", ".param.release"], template, '"12"\n'],
    [["-n", "-o", "json", "-I", "0", ".foo=42"], "", '{"foo":42}\n'],
    [["--input-format", "json", "--output-format", "json", "--indent", "0", "."], '{"a": [1, {"b": "c"}]}', '{"a":[1,{"b":"c"}]}\n'],
    [["-n", '.a = env(YQ_TEST) | .b = strenv(YQ_TEST) | .c = "v\\(.a)"'], "", 'a: 7\nb: "7"\nc: v7\n'],
    [["eval", ".vmType"], template, "qemu\n"],
    [[], "a: 1\n", "a: 1\n"],
    // Lima's bats tests: `yq 'true'` prints one line per document; JSON lines from a stream of JSON values
    [["true"], "---\nname: foo\n---\nname: bar\n", "true\ntrue\n"],
    [[".name"], "---\nname: foo\n---\nname: bar\n", "foo\n---\nbar\n"],
    [["--input-format", "yaml", "--output-format", "json", "--indent", "0", "."], "---\nname: foo\n---\nname: bar\n", '{"name":"foo"}\n{"name":"bar"}\n'],
    [["--input-format", "json", "--output-format", "json", "--indent", "0", "."], '{\n  "name": "foo"\n}\n{\n  "name": "b}{\\"r"\n}\n', '{"name":"foo"}\n{"name":"b}{\\"r"}\n'],
  ];
  for (const [args, stdin, stdout] of cases) {
    const r = run(["yq", ...args], stdin, { YQ_TEST: "7" });
    assert.equal(r.stderr, "", args.join(" "));
    assert.equal(r.status, 0, args.join(" "));
    assert.equal(r.stdout, stdout, args.join(" "));
  }
  assert.equal(run(["yq", ".cpus"], template, {}, tslima).stdout, "4\n", "tslima yq is the same command");
  assert.match(run(["yq", "--version"]).stdout, /^yq .*mikefarah.* version v4/, "Lima's test of the yq subcommand");
});

test("limactl yq -i edits files in place keeping comments; files are read in order; -e sets the exit status", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-yq-"));
  try {
    const a = join(dir, "a.yaml");
    const b = join(dir, "b.yaml");
    writeFileSync(a, template);
    writeFileSync(b, "cpus: 1\n");
    const r = run(["yq", "-i", '.cpus = 2 | .memory = "2GiB"', a, b]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(readFileSync(a, "utf8"), `${template.replace("cpus: 4", "cpus: 2")}memory: 2GiB\n`);
    assert.equal(readFileSync(b, "utf8"), "cpus: 2\nmemory: 2GiB\n");
    assert.equal(run(["yq", ".cpus", a, b]).stdout, "2\n---\n2\n");
    assert.equal(run(["yq", a]).stdout, readFileSync(a, "utf8"), "a lone file name is read with '.'");
    assert.equal(run(["yq", "-e", ".cpus", a]).status, 0);
    assert.equal(run(["yq", "-e", ".nosuch", a]).status, 1);
    assert.equal(run(["yq", "-e", ".cpus == 3", a]).status, 1);
    const none = run(["yq", "-e", ".[] | select(. == 99)", b]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no matches found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("limactl yq fails as yq does: exit 1 naming a missing file, a bad expression, a bad input, a refused function", () => {
  const cases: Array<[args: string[], stdin: string, stderr: RegExp]> = [
    [[".a", "/nonexistent/x.yaml"], "", /open \/nonexistent\/x\.yaml: no such file or directory/],
    [[".a["], "a: 1\n", /^Error: the expression ends too early\n$/],
    [["."], "a: [1\n", /bad file '-': /],
    [["--security-disable-env-ops", "-n", ".a = env(HOME)"], "", /env operations have been disabled/],
    [["-n", 'load("x.yaml")'], "", /load is not available/],
    [["--security-disable-file-ops", "-n", 'load("x.yaml")'], "", /file operations have been disabled/],
    [["-n", 'system("id")'], "", /system operations are disabled/],
    [["-i", ".a = 1"], "", /write in place flag only applicable when giving an expression and at least one file/],
    [["-o", "xml", "."], "", /unknown output format "xml"/],
    [[".a - 1"], "a: x\n", /cannot apply - to string and number/],
    [["-n", "foo"], "", /invalid input/],
  ];
  for (const [args, stdin, stderr] of cases) {
    const r = run(["yq", ...args], stdin);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "", args.join(" "));
    assert.match(r.stderr, stderr, args.join(" "));
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  }
});
