// `limactl yq`'s language beyond reading (src/lang/yq-*.ts): assignments, del, entries, interpolation,
// env; and yqRun, which prints results as yq does and keeps the input's comments and key order.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { evalYq, parseYq, yqRun, YqError, YqInputError, type YqRunOptions } from "../../../src/lang/yq.js";

const doc = { cpus: 4, images: [{ location: "a", arch: "x86_64" }, { location: "b", arch: "aarch64" }], param: { release: "12" }, list: [1, 2, 3] };

test("assignments, del, entries and the other functions give jq's/yq's outputs", () => {
  const cases: Array<[string, unknown[]]> = [
    [".cpus = 2 | .cpus", [2]],
    [".disk = \"1M\" | keys", [["cpus", "images", "param", "list", "disk"]]],
    [".a.b[1] = true | .a", [{ b: [null, true] }]],
    [".cpus |= . * 2 | .cpus", [8]],
    [".cpus += 1 | .cpus", [5]],
    [".list += [4] | .list", [[1, 2, 3, 4]]],
    [".list -= [2] | .list", [[1, 3]]],
    [".param.release //= \"x\" | .nope //= \"d\" | [.param.release, .nope]", [["12", "d"]]],
    [".images[].arch = \"riscv64\" | [.images[].arch]", [["riscv64", "riscv64"]]],
    ['(.images[] | select(.arch == "aarch64") | .location) = "c" | [.images[].location]', [["a", "c"]]],
    ["(.cpus, .param.release) = 1 | [.cpus, .param.release]", [[1, 1]]],
    [".x = .cpus | .x", [4]],
    ['.param *= {"release": "13", "x": {"y": 1}} | .param', [{ release: "13", x: { y: 1 } }]],
    ["del(.images[0]) | .images | length", [1]],
    ["del(.list[0], .list[2]) | .list", [[2]]],
    ['del(.images[] | select(.arch == "x86_64")) | [.images[].location]', [["b"]]],
    ["del(.param) | has(\"param\")", [false]],
    [".param | to_entries", [[{ key: "release", value: "12" }]]],
    ['.param | with_entries(.key |= "p_" + .)', [{ p_release: "12" }]],
    ["[{\"name\": \"a\", \"value\": 1}] | from_entries", [{ a: 1 }]],
    ['"cpus=\\(.cpus) arch=\\(.images[0].arch)"', ["cpus=4 arch=x86_64"]],
    ['"nested \\("x" + "\\(.cpus)")"', ["nested x4"]],
    [".images | map(.arch) | join(\",\")", ["x86_64,aarch64"]],
    ['"a,b" | split(",")', [["a", "b"]]],
    [".list | add", [6]],
    [".cpus | tag", ["!!int"]],
    [".param | tag", ["!!map"]],
    [".list | reverse | first", [3]],
    ["[3, 1, 2, 1] | unique", [[1, 2, 3]]],
    ['"12" | tonumber', [12]],
    [".cpus | tostring", ["4"]],
    ['.images[] | select(.arch | test("^x"))| .location', ["a"]],
    [".list | map(select(. > 1)) | length", [2]],
    [".list | any", [true]],
    ["empty", []],
  ];
  for (const [expr, want] of cases) assert.deepEqual(evalYq(expr, doc), want, expr);
  assert.deepEqual(doc.list, [1, 2, 3], "evaluation does not change its input");
});

test("env and strenv read the environment given to parseYq, and are refused without one (as in --yq and --set)", () => {
  const env = { N: "3", S: "{b: fish}", E: "" };
  const cases: Array<[string, unknown[]]> = [
    [".a = env(N) | .a", [3]],
    [".a = strenv(N) | .a", ["3"]],
    [".a = env(S) | .a.b", ["fish"]],
    ['strenv(MISSING) | length', [0]],
  ];
  for (const [expr, want] of cases) assert.deepEqual(evalYq(parseYq(expr, { env }), null), want, expr);
  const refused: Array<[string, YqParseOpts, RegExp]> = [
    ["env(N)", {}, /env operations have been disabled/],
    ["strenv(N)", {}, /env operations have been disabled/],
    ["env(MISSING)", { env }, /value for env variable 'MISSING' not provided in env\(\)/],
    ["env(E)", { env }, /not provided in env\(\)/],
    ['load("f.yaml")', { env }, /file operations have been disabled/],
    ['load("f.yaml")', { env, fileOpsAllowed: true }, /load is not available/],
    ['system("ls")', { env, fileOpsAllowed: true }, /system operations are disabled/],
    ['"a \\(.b"', {}, /unterminated string/],
    ['"a \\(.b ', {}, /could not find matching '\)'/],
    ["1 = 2", {}, /cannot update or delete a path/],
  ];
  for (const [expr, opts, re] of refused) assert.throws(() => evalYq(parseYq(expr, opts), {}), (e: unknown) => e instanceof YqError && re.test(e.message), expr);
});
type YqParseOpts = Parameters<typeof parseYq>[1];

const yaml: YqRunOptions = { inputFormat: "yaml", outputFormat: "yaml", indent: 2, unwrap: false, pretty: false };
const json: YqRunOptions = { ...yaml, outputFormat: "json" };
const template = `# a template
vmType: qemu # the driver
cpus: 4 # four
images:
  # the first image
  - location: https://example.com/a.img
    arch: x86_64
param:
  release: "12"
`;

test("yqRun prints as yq: scalars bare, YAML keeping comments and key order after an assignment, json, props", () => {
  const cases: Array<[expr: string, input: string | null, opts: YqRunOptions, want: string]> = [
    [".cpus = 2", template, yaml, template.replace("cpus: 4", "cpus: 2")],
    ['.disk = "1M"', template, yaml, `${template}disk: 1M\n`],
    ['.images[0].arch = "aarch64" | .vmType = "vz"', template, yaml, template.replace("x86_64", "aarch64").replace("vmType: qemu", "vmType: vz")],
    ["del(.param)", template, yaml, template.replace('param:\n  release: "12"\n', "")],
    [".", template, yaml, template],
    [".param.release", template, yaml, "12\n"],
    [".images[0]", template, yaml, "location: https://example.com/a.img\narch: x86_64\n"],
    [".vmType, .cpus", template, yaml, "qemu\n4\n"],
    [".param.release", template, json, '"12"\n'],
    [".param.release", template, { ...json, unwrap: true }, "12\n"],
    [".param", template, json, '{\n  "release": "12"\n}\n'],
    [".foo = 42", null, { ...json, indent: 0 }, '{"foo":42}\n'],
    [".", '{"a": [1, {"b": null}]}', { ...json, inputFormat: "json", indent: 0 }, '{"a":[1,{"b":null}]}\n'],
    [".", '{"a": 1}', { ...yaml, inputFormat: "json" }, "a: 1\n"],
    [".a += 1", "a: 1\n---\na: 2\n", yaml, "a: 2\n---\na: 3\n"],
    [".", "a: [1, 2]\n", { ...yaml, pretty: true }, "a:\n  - 1\n  - 2\n"],
    [".", "a:\n  b: 1\n", { ...yaml, indent: 4 }, "a:\n    b: 1\n"],
    [".images", template, { ...yaml, outputFormat: "props" }, "0.location = https://example.com/a.img\n0.arch = x86_64\n"],
    [".nosuch", template, yaml, "null\n"],
    ['.disk = "1M"', "{images: [location: /etc/profile]}\n", yaml, "{images: [{location: /etc/profile}], disk: 1M}\n"],
    ["del(.images[0])", "images:\n  - a # first\n  - b # second\n", yaml, "images:\n  - b # second\n"],
    ['.images[1].arch = "x"', "images:\n  # one\n  - location: a\n  # two\n  - location: b\n", yaml, "images:\n  # one\n  - location: a\n  # two\n  - location: b\n    arch: x\n"],
    [".", "", yaml, ""],
  ];
  for (const [expr, input, opts, want] of cases) assert.equal(yqRun(parseYq(expr), input, "in.yaml", opts).output, want, expr);
});

test("yqRun: an input that does not parse is a YqInputError naming the file", () => {
  assert.throws(() => yqRun(parseYq("."), "a: [1\n", "bad.yaml", yaml), (e: unknown) => e instanceof YqInputError && /^bad file 'bad\.yaml': /.test(e.message));
  assert.throws(() => yqRun(parseYq("."), "{a:", "bad.json", { ...yaml, inputFormat: "json" }), (e: unknown) => e instanceof YqInputError && /^bad file 'bad\.json': /.test(e.message));
});

const key = fc.constantFrom("a", "b", "cpus", "x-y", "__proto__", "1");
const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 6 }));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, scalar, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(key, tie("v"), { maxKeys: 3 })),
})).v;

test("property: -o json output parsed equals evaluating on the JSON-parsed input; an assignment reads back", () => {
  fc.assert(
    fc.property(value, fc.constantFrom(".", ".a", ".[]?", "keys?", ".b // .a", "[.. | select(tag == \"!!int\")]", "to_entries?"), (v, expr) => {
      const text = JSON.stringify(v);
      let direct: unknown[];
      try {
        direct = evalYq(expr, JSON.parse(text));
      } catch (e) {
        assert.ok(e instanceof YqError);
        return;
      }
      const out = yqRun(parseYq(expr), text, "in.json", { ...json, inputFormat: "json", indent: 0 }).output;
      assert.deepEqual(out === "" ? [] : out.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown), JSON.parse(JSON.stringify(direct)));
    }),
  );
  fc.assert(
    fc.property(fc.dictionary(key, value, { maxKeys: 4 }), key, value, (m, k, generated) => {
      const x = JSON.parse(JSON.stringify(generated)) as unknown; // plain prototypes, as the output's
      const input = `# top\n${toYaml(m)}`;
      const set = yqRun(parseYq(`.[${JSON.stringify(k)}] = ${JSON.stringify(x)}`), input, "in.yaml", yaml).output;
      assert.match(set, /^# top\n/, "the comment stays");
      const back = JSON.parse(yqRun(parseYq("."), set, "set.yaml", { ...json, indent: 0 }).output) as Record<string, unknown>;
      assert.deepEqual(back[k], x, set);
      assert.deepEqual(Object.keys(back).filter((y) => y !== k), Object.keys(m).filter((y) => y !== k), "the other keys keep their order");
      assert.deepEqual(evalYq(`.[${JSON.stringify(k)}]`, back), [x]);
    }),
  );
});

function toYaml(m: object): string {
  return yqRun(parseYq("."), JSON.stringify(m), "m.json", { ...yaml, inputFormat: "json" }).output;
}

test("an assignment grows a list with nulls, but not by more than MAX_LIST_GROWTH (no memory exhaustion from one index)", () => {
  assert.deepEqual(evalYq(parseYq(".a[2] = 1"), { a: [0] }), [{ a: [0, null, 1] }]);
  assert.throws(() => evalYq(parseYq(".a[100000000] = 1"), { a: [] }), (e: unknown) => e instanceof YqError && /more than 100000 past the end/.test(e.message));
});
