import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfigText } from "../../../src/config/index.js";
import { IMAGE, linuxHost, tempTree } from "./support.js";

function load(files: { default?: string; override?: string }, instance: string) {
  const t = tempTree({
    ...(files.default === undefined ? {} : { "_config/default.yaml": files.default }),
    ...(files.override === undefined ? {} : { "_config/override.yaml": files.override }),
  });
  try {
    return loadConfigText(instance, "/inst/lima.yaml", { hostFacts: linuxHost, tslimaHome: t.dir, instanceName: "inst" });
  } finally {
    t.cleanup();
  }
}

test("scalars: instance over default.yaml, override.yaml over both, then builtin", () => {
  const { config } = load({ default: "cpus: 3\nmemory: 3GiB\ndisk: 30GiB\n", override: "disk: 50GiB\n" }, `${IMAGE}cpus: 1\n`);
  assert.equal(config.cpus, 1);
  assert.equal(config.memory, "3GiB");
  assert.equal(config.disk, "50GiB");
  const { config: c2 } = load({}, IMAGE);
  assert.equal(c2.disk, "100GiB");
});

test("nested scalars merge field by field (ssh.localPort from default, forwardAgent from instance)", () => {
  const { config } = load({ default: "ssh:\n  localPort: 60022\n  forwardAgent: false\n" }, `${IMAGE}ssh:\n  forwardAgent: true\n`);
  assert.equal(config.ssh.localPort, 60022);
  assert.equal(config.ssh.forwardAgent, true);
});

test("lists: override entries, then instance, then default (first portForwards rule wins)", () => {
  const { config } = load(
    { default: "portForwards:\n- guestPort: 3\nprovision:\n- script: d\n", override: "portForwards:\n- guestPort: 1\nprovision:\n- script: o\n" },
    `${IMAGE}portForwards:\n- guestPort: 2\nprovision:\n- script: y\n`,
  );
  assert.deepEqual(config.portForwards.map((p) => p.guestPort), [1, 2, 3]);
  assert.deepEqual(config.provision.map((p) => p.script), ["o", "y", "d"]);
  const { config: c2 } = load({ default: "images:\n- location: d.img\n  arch: x86_64\n" }, IMAGE);
  assert.deepEqual(c2.images.map((i) => i.location), ["build:debian-12", "d.img"]);
});

test("maps: default < instance < override, key by key", () => {
  const { config } = load({ default: "env:\n  A: d\n  B: d\n  C: d\n", override: "env:\n  C: o\n" }, `${IMAGE}env:\n  B: y\n  C: y\n`);
  assert.deepEqual(config.env, { A: "d", B: "y", C: "o" });
});

test("mounts merge by mountPoint: d, y, o order, the higher priority entry's fields win", () => {
  const { config } = load(
    {
      default: "mounts:\n- location: '~'\n  9p:\n    cache: loose\n- location: /srv\n",
      override: "mounts:\n- location: /home/alice\n  writable: true\n",
    },
    `${IMAGE}mounts:\n- location: '~'\n  writable: false\n  9p:\n    msize: 256KiB\n- location: /opt/x\n  mountPoint: /mnt/x\n`,
  );
  assert.deepEqual(config.mounts.map((m) => [m.location, m.mountPoint, m.writable, m["9p"].cache, m["9p"].msize]), [
    ["/home/alice", "/home/alice", true, "loose", "256KiB"],
    ["/srv", "/srv", false, "fscache", "128KiB"],
    ["/opt/x", "/mnt/x", false, "fscache", "128KiB"],
  ]);
});

test("dns comes from the highest priority file that has one", () => {
  const { config } = load({ default: "dns: [1.1.1.1]\n", override: "dns: [9.9.9.9]\nhostResolver:\n  enabled: false\n" }, `${IMAGE}dns: [8.8.8.8]\n`);
  assert.deepEqual(config.extra.dns, ["9.9.9.9"]);
});

test("param: default < instance < override, substituted into scripts", () => {
  const { config } = load(
    { default: "param:\n  A: d\n  B: d\n", override: "param:\n  B: o\n" },
    `${IMAGE}param:\n  A: y\nprovision:\n- script: "#!/bin/sh\\necho {{.Param.A}} {{.Param.B}}"\n`,
  );
  assert.deepEqual(config.param, { A: "y", B: "o" });
  assert.equal(config.provision[0]?.script, "#!/bin/sh\necho y o");
});

test("an error in default.yaml or override.yaml names that file", () => {
  assert.throws(() => load({ override: "mounts:\n- location: '~'\n  9p:\n    cache: fast\n" }, IMAGE), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.issues[0]?.source ?? "", /_config\/override\.yaml$/);
    assert.equal(e.issues[0]?.line, 4);
    assert.equal(e.issues[0]?.field, "mounts[0].9p.cache");
    return true;
  });
});
