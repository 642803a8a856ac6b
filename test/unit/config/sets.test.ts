import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import fc from "fast-check";
import { applySets } from "../../../src/config/sets.js";
import { TslimaError } from "../../../src/index.js";

const text = "# my VM\ncpus: 4 # four\nmounts:\n- location: \"~\"\n  writable: false\n";

test("applySets edits paths, parses values as YAML and keeps comments", () => {
  const out = applySets(text, [".cpus = 2", "memory=8GiB", ".mounts[0].writable = true", ".mounts[1] = {location: /data}", '.env["A.B"] = "x y"', ".mountTypesUnsupported = [9p]"], "lima.yaml");
  assert.deepEqual(parse(out), {
    cpus: 2,
    mounts: [{ location: "~", writable: true }, { location: "/data" }],
    memory: "8GiB",
    env: { "A.B": "x y" },
    mountTypesUnsupported: ["9p"],
  });
  assert.match(out, /^# my VM\n/);
  assert.match(out, /cpus: 2 # four/);
});

test("applySets creates missing maps and lists", () => {
  assert.deepEqual(parse(applySets("", [".ssh.localPort = 2222", ".portForwards[0].guestPort = 80"], "x")), { ssh: { localPort: 2222 }, portForwards: [{ guestPort: 80 }] });
});

test("a bad --set expression is an error naming the flag and the expression", () => {
  const bad = (expr: string, re: RegExp) =>
    assert.throws(() => applySets(text, [expr], "lima.yaml"), (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_BAD_SET_EXPRESSION" && e.message.startsWith(`--set '${expr}'`) && re.test(e.message), expr);
  bad(".cpus", /gives 4, not the document: write an update/);
  bad(".cpus, .mounts", /gives 2 results/);
  bad(".cpus[0] = 1", /cannot index a number/);
  bad(".mounts.location = x", /cannot set the field "location"/);
  bad(".cpus = [1", /not a yq expression .*nor PATH = VALUE/);
  bad("..x = 1", /not a yq expression/);
  bad("nonsense", /not a yq expression/);
  assert.throws(() => applySets(text, [".x"], "lima.yaml", "--cpus"), /^TslimaError: --cpus/);
});

test("--set refuses env and file operations, as Lima does, naming the flag and the expression", () => {
  for (const expr of [".a = env(X)", ".a = strenv(HOME)", '.a = "\\(env(X))"', ".a = load(\"/etc/passwd\")", '.a = load_str("x")', ".a = envsubst", "a=env(X)", ".a = env(X) x"]) {
    assert.throws(
      () => applySets(text, [expr], "lima.yaml"),
      (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_INVALID_FLAG" && e.message.startsWith(`--set '${expr}': `) && /reads neither the environment nor files/.test(e.message),
      expr,
    );
  }
});

test("--set evaluates the yq update expressions Lima's users write, keeping comments", () => {
  const doc = "# my VM\ncpus: 4 # four\nmounts:\n# home\n- location: \"~\"\n  writable: false\nportForwards:\n- guestPort: 80\n  hostPort: 8000 # web\n";
  const cases: Array<[string[], Record<string, unknown>]> = [
    [[".cpus = 2"], { cpus: 2 }],
    [[".cpus |= 3"], { cpus: 3 }],
    [[".cpus += 1"], { cpus: 5 }],
    [['.mounts += [{"location": "~", "writable": true}]'], { mounts: [{ location: "~", writable: false }, { location: "~", writable: true }] }],
    [['.env.FOO = "bar"'], { env: { FOO: "bar" } }],
    [[".portForwards[0].hostPort = 8080"], { portForwards: [{ guestPort: 80, hostPort: 8080 }] }],
    [["del(.mounts)"], { mounts: undefined }],
    [['.param.X = "y" | .cpus = 4'], { param: { X: "y" }, cpus: 4 }],
    [['(.mounts[] | select(.location == "~")).writable = true'], { mounts: [{ location: "~", writable: true }] }],
    [['.env = {"A": "1"} | .env.B = .env.A'], { env: { A: "1", B: "1" } }],
    [[".memory = \"8GiB\"", ".disk = .memory"], { memory: "8GiB", disk: "8GiB" }],
    [[".mounts += {location: /x}"], { mounts: [{ location: "~", writable: false }, { location: "/x" }] }],
  ];
  for (const [sets, want] of cases) {
    const out = applySets(doc, sets, "lima.yaml");
    const got = parse(out) as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${sets.join(" ; ")}: ${k}`);
    assert.match(out, /^# my VM\n/, sets.join(" ; "));
    if (!sets.includes("del(.mounts)")) assert.match(out, /# home\n/, sets.join(" ; "));
    if (!sets.some((s) => s.includes("hostPort"))) assert.match(out, /hostPort: 8000 # web/, sets.join(" ; "));
  }
  assert.match(applySets(doc, [".portForwards[0].hostPort = 8080"], "lima.yaml"), /hostPort: 8080 # web/);
  assert.match(applySets(doc, [".cpus = 2"], "lima.yaml"), /cpus: 2 # four/);
});

test("+= appends to a list (made when missing)", () => {
  const out = applySets(text, ['.mounts += [{"location": "~/src"}]', '.mounts += [{location: /a}, {location: /b, writable: true}]', '.dns += ["1.1.1.1"]', '.env.FOO = "bar"'], "lima.yaml");
  assert.deepEqual(parse(out), {
    cpus: 4,
    mounts: [{ location: "~", writable: false }, { location: "~/src" }, { location: "/a" }, { location: "/b", writable: true }],
    dns: ["1.1.1.1"],
    env: { FOO: "bar" },
  });
  assert.match(out, /cpus: 4 # four/);
  for (const [expr, re] of [[".cpus += [1]", /cannot apply \+ to number and/]] as const) {
    assert.throws(() => applySets(text, [expr], "lima.yaml"), (e: unknown) => e instanceof TslimaError && e.message.startsWith(`--set '${expr}'`) && re.test(e.message), expr);
  }
});

test("property: += of N items to a list of M gives M+N items, the old ones first and unchanged", () => {
  fc.assert(
    fc.property(fc.array(fc.integer(), { maxLength: 5 }), fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean()), { minLength: 1, maxLength: 5 }), (old, added) => {
      const start = old.length > 0 ? `xs: ${JSON.stringify(old)}\n` : "";
      const out = parse(applySets(start, [`.xs += ${JSON.stringify(added)}`], "x")) as { xs: unknown[] };
      assert.deepEqual(out.xs, [...old, ...added]);
    }),
  );
});
