// The yq subset of `limactl list --yq/--filter` and `template yq` (src/lang/yq.ts): table tests on a
// record shaped like Lima's `list --json` output, the expressions from Lima's docs, bats tests and scripts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { evalYq, formatYqResults, parseYq, yqSelects, YqError } from "../../../src/lang/yq.js";

const rec = {
  name: "foo",
  status: "Running",
  vmType: "qemu",
  cpus: 2,
  disk: 1048576,
  sshLocalPort: 60022,
  protected: false,
  config: { user: { name: "me", uid: 501 }, mounts: [{ location: "~", writable: false }, { location: "/tmp/lima", writable: true }], containerd: { user: false, system: false }, env: {} },
  param: { "A.B": "x" },
  errors: null,
};

test("paths, pipes, commas and constructors give jq's output streams", () => {
  const cases: Array<[string, unknown[]]> = [
    [".", [rec]],
    [".name", ["foo"]],
    [".config.user.uid", [501]],
    [".config | .user | .uid", [501]],
    [".config.containerd.user", [false]],
    [".config.mounts[1].location", ["/tmp/lima"]],
    [".config.mounts[-1].writable", [true]],
    [".config.mounts[].location", ["~", "/tmp/lima"]],
    [".config.mounts.[0].location", ["~"]],
    ['.param["A.B"]', ["x"]],
    ['.param."A.B"', ["x"]],
    [".nosuch", [null]],
    [".nosuch.deeper", [null]],
    [".nosuch[]", []],
    [".name, .cpus", ["foo", 2]],
    ["[.config.mounts[] | .writable]", [[false, true]]],
    [".config.mounts | length", [2]],
    [".name | length", [3]],
    [".config.user | keys", [["name", "uid"]]],
    ['.param | has("A.B")', [true]],
    [".cpus * 2 + 1", [5]],
    [".disk > 1024*1024 - 1", [true]],
    [".disk / 1024", [1024]],
    ['.name + "-x"', ["foo-x"]],
    [".nosuch // .name", ["foo"]],
    [".config.mounts | map(.location)", [["~", "/tmp/lima"]]],
    ['.name | contains("o")', [true]],
    ["[]", [[]]],
    ['{name, "s": .status, (.vmType): .cpus}', [{ name: "foo", s: "Running", qemu: 2 }]],
    ["{a: (.cpus, .disk)}", [{ a: 2 }, { a: 1048576 }]],
    ["-1", [-1]],
    ['[{"l": "b"}, {"v": 1}, {"l": "a"}, {"l": "b", "x": 1}, {"v": 2}] | unique_by(.l)', [[{ l: "b" }, { v: 1 }, { l: "a" }]]],
  ];
  for (const [expr, want] of cases) assert.deepEqual(evalYq(expr, rec), want, expr);
});

test("comparisons, and/or/not, test() and select() as Lima's docs and bats tests use them", () => {
  const cases: Array<[string, boolean]> = [
    ['.status == "Running"', true],
    ['.status != "Running"', false],
    ['.vmType == "vz"', false],
    ['.disk == "1048576"', true], // yq compares scalars by their text
    ['.disk == "1M"', false],
    [".cpus >= 2", true],
    [".cpus < 2", false],
    ['.name > "bar"', true],
    [".protected == false", true],
    [".protected | not", true],
    [".errors == null", true],
    ['.status == "Running" and .cpus == 2', true],
    ['.status == "Stopped" or .cpus == 2', true],
    ['.status == "Stopped" and .cpus == 2', false],
    ['.name | test("^f")', true],
    ['.name | test("z")', false],
    ['.name | test("FOO"; "i")', true],
    ['.config.mounts == [{"location": "~", "writable": false}, {"location": "/tmp/lima", "writable": true}]', true],
    ["(.cpus == 1) or (.cpus == 2)", true],
    [".nosuch > 1", false], // null sorts first, as in jq
  ];
  for (const [expr, want] of cases) assert.deepEqual(evalYq(expr, rec), [want], expr);
  assert.deepEqual(evalYq('select(.status == "Running") | .name', rec), ["foo"]);
  assert.deepEqual(evalYq('select(.status == "Stopped") | .name', rec), []);
  assert.deepEqual(evalYq('select(.disk > 1024*1024 - 1) | select(.name | test("o")) | .name', rec), ["foo"]);
  assert.equal(yqSelects(parseYq('.vmType == "qemu"'), rec), true);
  assert.equal(yqSelects(parseYq(".nosuch"), rec), false);
  assert.equal(yqSelects(parseYq(".config.mounts[].writable"), rec), true, "kept when some output is true");
});

test("a bad expression is one YqError saying what is wrong; env and file functions are refused as in Lima", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /the expression is empty/],
    [".status ==", /ends too early/],
    ['.name == "x', /unterminated string/],
    ["select(.a", /expected "\)" but found the end/],
    [".a ] ", /unexpected "\]"/],
    ["frobnicate(.a)", /unknown function frobnicate/],
    ["select(.a; .b)", /select takes 1 argument/],
    ["env(HOME)", /env operations have been disabled/],
    ['strenv("X")', /env operations have been disabled/],
    ['load("/etc/passwd")', /file operations have been disabled/],
    [".a == = 1", /unexpected "="/],
    ["{(.a)}", /expected ":" after a computed key/],
    ["{1: 2}", /expected a key in \{ \} but found "1"/],
    ["@base64", /unexpected character "@"/],
  ];
  for (const [expr, re] of cases) assert.throws(() => parseYq(expr), (e: unknown) => e instanceof YqError && re.test(e.message), expr);
  const runtime: Array<[string, RegExp]> = [
    [".name | test(1)", /test needs a string pattern/],
    ['.name | test("(")', /test\("\("\)/],
    [".name - 1", /cannot apply - to string and number/],
    [".cpus / 0", /division by zero/],
    [".name[]", /cannot iterate over a string/],
    [".config.mounts[0][0]", /cannot index a map with the number 0/],
  ];
  for (const [expr, re] of runtime) assert.throws(() => evalYq(expr, rec), (e: unknown) => e instanceof YqError && re.test(e.message), expr);
});

test("results print as yq prints them for Lima: strings bare, collections as one JSON line or a YAML document", () => {
  assert.equal(formatYqResults(["foo", 2, true, null], "json"), "foo\n2\ntrue\nnull\n");
  assert.equal(formatYqResults([{ a: {}, b: [{}, 1], c: { d: {} } }], "json"), '{"b":[1]}\n', "empty maps are dropped, as Lima's del(.. | select(tag == \"!!map\" and length == 0))");
  const y = formatYqResults([rec.config.user, "x"], "yaml");
  assert.equal(y, "---\nname: me\nuid: 501\nx\n");
  assert.deepEqual(parse(y.split("\n").slice(1, 3).join("\n")), rec.config.user);
});
