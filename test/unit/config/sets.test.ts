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

test("a bad --set expression is an error naming the flag", () => {
  const bad = (expr: string, re: RegExp) =>
    assert.throws(() => applySets(text, [expr], "lima.yaml"), (e: unknown) => e instanceof TslimaError && e.message.startsWith(`--set '${expr}'`) && re.test(e.message));
  bad(".cpus", /PATH = VALUE/);
  bad(".cpus |= 3", /PATH = VALUE|cannot parse/);
  bad(".mounts[5].writable = true", /past the end/);
  bad(".cpus[0] = 1", /not a list/);
  bad(".mounts.location = x", /not a map/);
  bad(".cpus = [1", /not valid YAML/);
  bad("..x = 1", /cannot parse the path/);
  assert.throws(() => applySets(text, [".x"], "lima.yaml", "--cpus"), /^TslimaError: --cpus/);
});

test("+= appends to a list (made when missing), as the yq subset Lima's users write", () => {
  const out = applySets(text, ['.mounts += [{"location": "~/src"}]', '.mounts += [{location: /a}, {location: /b, writable: true}]', '.dns += ["1.1.1.1"]', '.env.FOO = "bar"'], "lima.yaml");
  assert.deepEqual(parse(out), {
    cpus: 4,
    mounts: [{ location: "~", writable: false }, { location: "~/src" }, { location: "/a" }, { location: "/b", writable: true }],
    dns: ["1.1.1.1"],
    env: { FOO: "bar" },
  });
  assert.match(out, /cpus: 4 # four/);
  for (const [expr, re] of [[".cpus += [1]", /appends to a list/], [".mounts += {location: /x}", /needs a list/]] as const) {
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
