import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parse } from "yaml";
import { ConfigError, loadConfigText, resolveBases, resolveTemplate } from "../../../src/config/index.js";
import { toJS } from "../../../src/config/ast.js";
import { linuxHost, serveFiles, tempTree } from "./support.js";

async function resolved(t: ReturnType<typeof tempTree>, file: string, templatesPath: string[] = []): Promise<Record<string, unknown>> {
  const r = await resolveTemplate(t.path(file), { tslimaHome: t.path("home"), templatesPath });
  return parse(r.text) as Record<string, unknown>;
}

test("base: the template's scalars win, lists are appended, provision/probes prepended, maps merged", async () => {
  const t = tempTree({
    "inst.yaml": [
      "base: base.yaml",
      "cpus: 2",
      "memory: null",
      "images:\n- location: inst.img\n  arch: x86_64",
      "provision:\n- script: inst",
      "env:\n  A: inst",
      "mountTypesUnsupported: [9p]",
      "dns: [1.1.1.1]",
      "minimumLimaVersion: 1.1.0",
    ].join("\n"),
    "base.yaml": [
      "cpus: 8",
      "memory: 8GiB",
      "disk: 20GiB",
      "images:\n- location: base.img\n  arch: x86_64",
      "provision:\n- script: base",
      "probes:\n- script: base-probe",
      "env:\n  A: base\n  B: base",
      "mountTypesUnsupported: [9p, virtiofs]",
      "dns: [8.8.8.8]",
      "minimumLimaVersion: 2.0.0",
    ].join("\n"),
  });
  try {
    const y = await resolved(t, "inst.yaml");
    assert.equal(y.base, undefined);
    assert.equal(y.cpus, 2);
    assert.equal(y.memory, null, "a null in the template blocks the base's value, as in Lima's yq merge");
    assert.equal(y.disk, "20GiB");
    assert.deepEqual((y.images as Array<{ location: string }>).map((i) => i.location), ["inst.img", "base.img"]);
    assert.deepEqual((y.provision as Array<{ script: string }>).map((p) => p.script), ["base", "inst"]);
    assert.deepEqual(y.probes, [{ script: "base-probe" }]);
    assert.deepEqual(y.env, { A: "inst", B: "base" });
    assert.deepEqual(y.mountTypesUnsupported, ["9p", "virtiofs"]);
    assert.deepEqual(y.dns, ["1.1.1.1"]);
    assert.equal(y.minimumLimaVersion, "2.0.0");
  } finally {
    t.cleanup();
  }
});

test("base: several bases apply in order, recursively; mounts are combined by mountPoint", async () => {
  const t = tempTree({
    "dir/inst.yaml": "base:\n- one.yaml\n- {url: sub/two.yaml}\nmounts:\n- location: '~'\n  writable: true\n",
    "dir/one.yaml": "base: sub/three.yaml\nvmType: qemu\nmounts:\n- location: '~'\n  9p:\n    cache: loose\n",
    "dir/sub/two.yaml": "vmType: vz\narch: aarch64\nprovision:\n- script: two\n",
    "dir/sub/three.yaml": "arch: x86_64\nprovision:\n- script: three\nmounts:\n- location: /data\n  mountPoint: /mnt/data\n",
  });
  try {
    const y = await resolved(t, "dir/inst.yaml");
    assert.equal(y.vmType, "qemu");
    assert.equal(y.arch, "x86_64", "one.yaml's base (three) comes before two.yaml");
    assert.deepEqual((y.provision as Array<{ script: string }>).map((p) => p.script), ["two", "three"]);
    assert.deepEqual(y.mounts, [
      { location: "~", writable: true, "9p": { cache: "loose" } },
      { location: "/data", mountPoint: "/mnt/data" },
    ]);
  } finally {
    t.cleanup();
  }
});

test("base: a cycle is an error naming the chain and the position of the base entry", async () => {
  const t = tempTree({ "a.yaml": "base: b.yaml\n", "b.yaml": "cpus: 1\nbase:\n- c.yaml\n", "c.yaml": "base: a.yaml\n" });
  try {
    await assert.rejects(resolveTemplate(t.path("a.yaml"), { tslimaHome: t.dir }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const issue = e.issues[0];
      assert.equal(issue?.source, t.path("c.yaml"));
      assert.equal(issue?.line, 1);
      assert.equal(issue?.field, "base");
      assert.equal(issue?.message, `base template cycle: ${t.path("a.yaml")} -> ${t.path("b.yaml")} -> ${t.path("c.yaml")} -> ${t.path("a.yaml")}`);
      return true;
    });
  } finally {
    t.cleanup();
  }
});

test("template:NAME searches TSLIMA_TEMPLATES_PATH in order (first match wins), NAME may contain /", async () => {
  const t = tempTree({
    "first/_images/thing.yaml": "cpus: 1\n",
    "second/_images/thing.yaml": "cpus: 2\n",
    "second/only-here.yaml": "base: template:_images/thing\nmemory: 1GiB\n",
    "inst.yaml": "base: template:only-here\n",
    "missing.yaml": "base:\n- template:nope\n",
  });
  try {
    const y = await resolved(t, "inst.yaml", [t.path("first"), t.path("second")]);
    assert.deepEqual(y, { memory: "1GiB", cpus: 1 });
    const y2 = await resolved(t, "inst.yaml", [t.path("second"), t.path("first")]);
    assert.equal(y2.cpus, 2);
    await assert.rejects(resolveTemplate(t.path("missing.yaml"), { tslimaHome: t.dir, templatesPath: [t.path("first")] }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.issues[0]?.field, "base[0]");
      assert.equal(e.issues[0]?.line, 2);
      assert.match(e.issues[0]?.message ?? "", /template "nope" not found/);
      return true;
    });
  } finally {
    t.cleanup();
  }
});

test("bundled templates come first; template:default resolves from dist as well", async () => {
  const t = tempTree({ "x/default.yaml": "cpus: 99\n", "inst.yaml": "base: template:default\n" });
  try {
    const y = await resolved(t, "inst.yaml", [t.path("x")]);
    assert.equal(y.cpus, undefined);
    assert.ok(Array.isArray(y.images) && y.images.length >= 4);
  } finally {
    t.cleanup();
  }
});

test("a template file that only names another file (a git symlink stub) is followed", async () => {
  const t = tempTree({ "tpl/alias.yaml": "real.yaml", "tpl/real.yaml": "cpus: 3\n", "inst.yaml": "base: template:alias\n" });
  try {
    assert.equal((await resolved(t, "inst.yaml", [t.path("tpl")])).cpus, 3);
  } finally {
    t.cleanup();
  }
});

test("base digests are checked; provision file: is inlined relative to its template", async () => {
  const baseText = "cpus: 5\nprovision:\n- file: scripts/setup.sh\n- mode: data\n  path: /etc/x\n  file: scripts/data.txt\n";
  const digest = `sha256:${createHash("sha256").update(baseText).digest("hex")}`;
  const t = tempTree({
    "b/base.yaml": baseText,
    "b/scripts/setup.sh": "#!/bin/sh\necho hi\n",
    "b/scripts/data.txt": "X=1\n",
    "good.yaml": `base:\n- url: b/base.yaml\n  digest: ${digest}\n`,
    "bad.yaml": "base:\n- url: b/base.yaml\n  digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
  });
  try {
    const y = await resolved(t, "good.yaml");
    assert.deepEqual(y.provision, [{ script: "#!/bin/sh\necho hi\n" }, { mode: "data", path: "/etc/x", content: "X=1\n" }]);
    await assert.rejects(resolveTemplate(t.path("bad.yaml"), { tslimaHome: t.dir }), /digest mismatch/);
  } finally {
    t.cleanup();
  }
});

test("http(s) bases are fetched, relative bases inside them resolve against the URL", async (ctx) => {
  const url = await serveFiles(ctx, { "/t/main.yaml": "base: part.yaml\ncpus: 3\n", "/t/part.yaml": "memory: 3GiB\n" });
  const t = tempTree({ "inst.yaml": `base: ${url}/t/main.yaml\n`, "bad.yaml": `base: ${url}/t/missing.yaml\n` });
  try {
    const loaded = await resolveBases("base: " + `${url}/t/main.yaml\n`, t.path("x.yaml"), {});
    assert.deepEqual(toJS(loaded.root), { cpus: 3, memory: "3GiB" });
    await assert.rejects(resolveTemplate(t.path("bad.yaml"), { tslimaHome: t.dir }), /HTTP 404/);
    // loadConfigText is synchronous: a URL base there is a clear error
    assert.throws(() => loadConfigText(`base: ${url}/t/main.yaml\n`, "s.yaml", { hostFacts: linuxHost, tslimaHome: t.dir }), /must be resolved first/);
  } finally {
    t.cleanup();
  }
});

test("TSLIMA_HOME/_config/base.yaml is embedded first when a template is resolved for create", async () => {
  const t = tempTree({ "home/_config/base.yaml": "cpus: 7\ndisk: 9GiB\n", "inst.yaml": "cpus: 1\n" });
  try {
    assert.deepEqual(await resolved(t, "inst.yaml"), { cpus: 1, disk: "9GiB" });
  } finally {
    t.cleanup();
  }
});
