import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfigText } from "../../../src/config/index.js";
import { parseYaml } from "../../../src/config/load.js";
import { locate } from "../../../src/config/positions.js";
import { IMAGE, linuxHost, tempTree } from "./support.js";

function issuesOf(fn: () => unknown): ConfigError["issues"] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.issues;
  }
  assert.fail("expected a ConfigError");
}

test("positions: locate finds line and column of a nested field", () => {
  const { root } = parseYaml("cpus: 2\nmounts:\n- location: /a\n  9p:\n    msize: 1KiB\n", "f.yaml");
  assert.deepEqual(locate(root, ["mounts", 0, "9p", "msize"], { source: "x", line: 1, col: 1 }), { source: "f.yaml", line: 5, col: 12 });
  // a missing field points at the nearest ancestor that exists
  assert.deepEqual(locate(root, ["mounts", 0, "writable"], { source: "x", line: 1, col: 1 }), { source: "f.yaml", line: 3, col: 3 });
});

test("a duplicate key is one error naming the field path and its position", () => {
  const issues = issuesOf(() => parseYaml("ssh:\n  localPort: 1\n  localPort: 2\n", "dup.yaml"));
  assert.equal(issues.length, 1);
  assert.deepEqual({ ...issues[0] }, { source: "dup.yaml", line: 3, col: 3, field: "ssh.localPort", message: "duplicate key: this key is already set earlier in the same map" });
});

test("bad indentation is one error pointing at the misplaced text", () => {
  const issues = issuesOf(() => parseYaml("mounts:\n  - location: a\n     writable: true\n", "ind.yaml"));
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.line, 3);
  assert.equal(issues[0]?.col, 6);
  assert.match(issues[0]?.message ?? "", /indentation/);
});

test("other syntax errors: tabs, misaligned keys, a key on a value's line, an unclosed quote", () => {
  const first = (text: string) => {
    const issues = issuesOf(() => parseYaml(text, "s.yaml"));
    assert.equal(issues.length, 1);
    const i = issues[0] as ConfigError["issues"][number];
    return `${i.line}:${i.col}: ${i.field}: ${i.message}`;
  };
  assert.match(first("ssh:\n\tlocalPort: 2\n"), /^2:1: \(yaml\): bad indentation: tabs/);
  assert.match(first("mounts:\n  - location: \"~\"\n  writable: true\n"), /^3:3: \(yaml\): bad indentation: .*same column/);
  assert.match(first("mounts:\n- location: /a\n writable: true\n"), /^3:2: \(yaml\): bad indentation/);
  assert.match(first("cpus: 2\n memory: 4GiB\n"), /^2:2: \(yaml\): bad indentation/);
  assert.match(first("message: a: b\n"), /^1:10: \(yaml\): a value cannot hold `key: value`/);
  assert.match(first('message: "open\n'), /^2:1: \(yaml\): YAML syntax error: Missing closing "quote/);
});

test("an empty file is an empty map; a list at top level is an error", () => {
  assert.equal(parseYaml("", "e.yaml").root.items.length, 0);
  assert.equal(parseYaml("# only a comment\n", "e.yaml").root.items.length, 0);
  const issues = issuesOf(() => parseYaml("- a\n- b\n", "l.yaml"));
  assert.match(issues[0]?.message ?? "", /must be a mapping/);
});

test("validation errors carry FILE:LINE:COL and field; all are collected in one ConfigError", () => {
  const t = tempTree({});
  try {
    const text = `${IMAGE}cpus: 0\nmemory: lots\nmounts:\n- location: relative/path\n  mountPoint: /usr\n`;
    const issues = issuesOf(() => loadConfigText(text, "inst.yaml", { hostFacts: linuxHost, tslimaHome: t.dir }));
    const lines = issues.map((i) => `${i.source}:${i.line}:${i.col}: ${i.field}`);
    assert.deepEqual(lines.sort(), [
      "inst.yaml:5:9: memory",
      "inst.yaml:7:13: mounts[0].location",
      "inst.yaml:8:15: mounts[0].mountPoint",
    ].sort());
    // cpus: 0 means "builtin default" in Lima, so it is not an error
  } finally {
    t.cleanup();
  }
});

test("a wrong type is an error, an unknown field a warning with position", () => {
  const t = tempTree({});
  try {
    const issues = issuesOf(() => loadConfigText(`${IMAGE}cpus: four\n`, "t.yaml", { hostFacts: linuxHost, tslimaHome: t.dir }));
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.field, "cpus");
    assert.match(issues[0]?.message ?? "", /integer/);
    const { warnings } = loadConfigText(`${IMAGE}cpu: 4\nssh:\n  localPrt: 2222\n`, "w.yaml", { hostFacts: linuxHost, tslimaHome: t.dir });
    assert.deepEqual(warnings.map((w) => w.split(": warning")[0]), ["w.yaml:4:1: cpu", "w.yaml:6:3: ssh.localPrt"]);
  } finally {
    t.cleanup();
  }
});
