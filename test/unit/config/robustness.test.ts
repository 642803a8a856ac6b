import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { ConfigError, formatIssue, loadConfig, loadConfigText, type LoadedConfig } from "../../../src/config/index.js";
import { MAX_DEPTH } from "../../../src/config/structure.js";
import { renderInstances } from "../../../src/instance/lima-view.js";
import { TslimaError } from "../../../src/errors.js";
import type { InstanceInfo } from "../../../src/instance/inventory.js";
import { IMAGE, linuxHost, tempTree } from "./support.js";

/**
 * Inputs a fuzzing run found to crash or hang the loader: each must give a positioned ConfigError (or
 * load), never a TypeError, a stack overflow or a blocked read.
 */
type Tree = ReturnType<typeof tempTree>;

function load(t: Tree, text: string): LoadedConfig {
  return loadConfigText(`${IMAGE}${text}`, t.path("inst.yaml"), { hostFacts: linuxHost, tslimaHome: t.path("home") });
}

/** The `field: message` lines of the ConfigError thrown by `fn`. */
function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.field}: ${i.message}`);
    throw e;
  }
  assert.fail("expected a ConfigError");
}

async function issuesOfAsync(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.field}: ${i.message}`);
    throw e;
  }
  assert.fail("expected a ConfigError");
}

function withTree(fn: (t: Tree) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const t = tempTree({});
    try {
      await fn(t);
    } finally {
      t.cleanup();
    }
  };
}

test("values are type-checked before they are used as text: a map with a toString key under param: or dns:", withTree((t) => {
  assert.deepEqual(issuesOf(() => load(t, "param:\n  A:\n    toString: 1\n")), ["param.A: must be a single value, not a map"]);
  const dns = issuesOf(() => load(t, "hostResolver: {enabled: false}\ndns:\n- toString: 1\n"));
  assert.deepEqual(dns, ["dns[0]: must be a single value, not a map"]);
}));

test("file:// locators with a host or an encoded slash are positioned errors (base:, provision file, CLI argument)", withTree(async (t) => {
  const base = issuesOf(() => load(t, "base: file://h/x.yaml\n"));
  assert.equal(base.length, 1);
  assert.match(base[0] ?? "", /^base: "file:\/\/h\/x\.yaml" is not a local file URL .*host/);
  assert.match(issuesOf(() => load(t, "base: file:///a%2fb.yaml\n"))[0] ?? "", /^base: .*encoded \/ characters/);
  const prov = issuesOf(() => load(t, "provision:\n- mode: system\n  file: file://h/x.sh\n"));
  assert.match(prov[0] ?? "", /^provision\[0\]\.file: "file:\/\/h\/x\.sh" is not a local file URL/);
  const top = await issuesOfAsync(loadConfig("file://h/x.yaml", { hostFacts: linuxHost, tslimaHome: t.path("home") }));
  assert.match(top[0] ?? "", /^\(file\): "file:\/\/h\/x\.yaml" is not a local file URL/);
  // found by the fuzz test: an empty argument was read as the working directory, and named no FILE
  const empty = await issuesOfAsync(loadConfig("", { hostFacts: linuxHost, tslimaHome: t.path("home") }));
  assert.deepEqual(empty, ["(file): the locator is empty; name a file, template:NAME or an http(s) URL"]);
}));

test("a base locator with an unknown scheme names the scheme and Lima's plugin instead of a missing file", withTree((t) => {
  const [msg] = issuesOf(() => load(t, "base: fedora-rawhide:latest\n"));
  assert.match(msg ?? "", /^base: .*scheme "fedora-rawhide:".*limactl-url-fedora-rawhide plugin/);
}));

test("keys named like Object.prototype members are plain keys everywhere", withTree((t) => {
  const { config, warnings } = load(
    t,
    [
      "__proto__:\n  dns: [8.8.8.8]",
      "constructor: 1",
      "vmOpts:\n  toString: {hasOwnProperty: 1}",
      "env:\n  constructor: a\n  __proto__: b",
      "param:\n  toString: p",
      "mounts:\n- location: /data\n  mountPoint: /mnt/{{.Param.constructor}}-{{.Param.toString}}\n  hasOwnProperty: 1",
    ].join("\n"),
  );
  // __proto__ did not become the prototype (which would make its dns inherited)
  assert.equal(config.extra.dns, undefined);
  assert.deepEqual(Object.keys(config.extra).filter((k) => k === "__proto__" || k === "constructor"), ["__proto__", "constructor"]);
  assert.deepEqual(config.env, Object.fromEntries([["constructor", "a"], ["__proto__", "b"]]));
  assert.equal(config.mounts[0]?.mountPoint, "/mnt/<no value>-p");
  for (const field of ["__proto__", "constructor", "mounts[0].hasOwnProperty"]) {
    assert.ok(warnings.some((w) => w.includes(`: ${field}: warning: unknown field`)), `${field} in ${warnings.join("\n")}`);
  }
}));

test("list --format looks up own fields only", () => {
  const i: InstanceInfo = { name: "a", status: "Stopped", dir: "/d", vmType: "qemu", arch: "x86_64", cpus: 1, memory: 1, disk: 1, sshLocalPort: 0, sshConfigFile: "/d/ssh.config", errors: [], hostname: "lima-a", protected: false };
  const host = { hostOS: "linux", hostArch: "x86_64", home: "/h", identityFile: "/h/_config/user" };
  // the instance is a Go struct: a field it lacks is an error, as Go's; inside a map it yields no value
  assert.throws(() => renderInstances("{{.constructor}} {{.Name}}", [i], host), (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_INVALID_FORMAT" && /can't evaluate field constructor/.test(e.message));
  assert.throws(() => renderInstances("{{.toString}}", [i], host), /can't evaluate field toString/);
  assert.equal(renderInstances("{{.Param.constructor}} {{.Name}}", [i], host), "<no value> a\n");
});

test(`nesting deeper than ${MAX_DEPTH} levels is refused with a position; deeper than the parser can go too`, withTree((t) => {
  const levels = (n: number) => Array.from({ length: n }, (_, i) => `${"  ".repeat(i + 1)}k${i}:`).join("\n");
  assert.deepEqual(load(t, `vmOpts:\n${levels(MAX_DEPTH - 2)} 1\n`).warnings, []);
  const [deep] = issuesOf(() => load(t, `vmOpts:\n${levels(MAX_DEPTH + 5)} 1\n`));
  assert.match(deep ?? "", /^vmOpts\.k0\.k1\.\.\.: nested more than 64 levels deep/);
  const [flow] = issuesOf(() => load(t, `vmOpts: ${"[".repeat(5000)}${"]".repeat(5000)}\n`));
  assert.match(flow ?? "", /^\(yaml\): nested too deeply/);
}));

test("a 20,000-key map loads; a duplicate key in it is found and positioned", withTree((t) => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `  K${i}: v`).join("\n");
  const { config } = load(t, `env:\n${keys}\n`);
  assert.equal(Object.keys(config.env).length, 20_000);
  try {
    load(t, `env:\n${keys}\n  K7: again\n`);
    assert.fail("expected a duplicate key error");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.issues.map((i) => [i.line, i.col, i.field]), [[20_005, 3, "env.K7"]]);
    assert.match(e.issues[0]?.message ?? "", /duplicate key/);
  }
}));

test("aliases are resolved as Lima resolves them; alias bombs and unknown anchors are refused", withTree((t) => {
  const { config } = load(t, "x-mounts: &m\n- location: /data\n  mountPoint: /mnt/data\nmounts: *m\nportForwards: [&p {guestPort: 8080}, *p]\n");
  assert.deepEqual(config.mounts.map((m) => m.mountPoint), ["/mnt/data"]);
  assert.deepEqual(config.portForwards.map((p) => p.guestPort), [8080, 8080]);
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"]]) bomb.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  const [msg] = issuesOf(() => load(t, `${bomb.join("\n")}\n`));
  assert.match(msg ?? "", /aliases expand to more than 10000 values/);
  assert.equal(issuesOf(() => load(t, "mounts: *nothing\n")).length, 1);
}));

test("merge keys (<<) are applied as Lima's decoder applies them: own fields win, then earlier maps", withTree((t) => {
  const text = [
    "x-defaults: &d {writable: true, mountPoint: /mnt/d}",
    "mounts:",
    "- location: /a",
    "  <<: *d",
    "- <<: [{location: /b, mountPoint: /mnt/b}, *d]",
    "  location: /c",
  ].join("\n");
  const { config, warnings } = load(t, `${text}\n`);
  assert.deepEqual(config.mounts.map((m) => [m.location, m.mountPoint, m.writable]), [["/a", "/mnt/d", true], ["/c", "/mnt/b", true]]);
  assert.ok(!warnings.some((w) => w.includes("<<")), warnings.join("\n"));
  assert.deepEqual(issuesOf(() => load(t, "env:\n  <<: 1\n")), ["env.<<: a merge key (<<) takes a map or a list of maps, such as <<: *defaults"]);
}));

test("an issue is one line even when a key or value holds a newline", withTree((t) => {
  try {
    load(t, 'vmType: "q\\nemu"\nenv:\n  "A\\nB": 1\n');
    assert.fail("expected errors");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    for (const line of e.issues.map(formatIssue)) assert.doesNotMatch(line, /\n/);
    assert.equal(e.message.split("\n").length, e.issues.length);
  }
}));

test("a FIFO as the config or as its base: is refused at once, never read", { timeout: 10_000 }, withTree(async (t) => {
  execFileSync("mkfifo", [t.path("fifo.yaml")]);
  const top = await issuesOfAsync(loadConfig(t.path("fifo.yaml"), { hostFacts: linuxHost, tslimaHome: t.path("home") }));
  assert.deepEqual(top, [`(file): cannot read ${t.path("fifo.yaml")}: it is a FIFO (named pipe), not a regular file`]);
  const [base] = issuesOf(() => load(t, `base: ${t.path("fifo.yaml")}\n`));
  assert.match(base ?? "", /^base: cannot read .*fifo\.yaml: it is a FIFO \(named pipe\)/);
  assert.match(issuesOf(() => load(t, "base: /dev/zero\n"))[0] ?? "", /it is a character device/);
}));
