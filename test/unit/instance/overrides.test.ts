import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { createInstance, isTslimaError, type ConfigOverrides } from "../../../src/index.js";
import { overrideEdits } from "../../../src/instance/overrides.js";
import { applyEdits } from "../../../src/config/sets.js";
import { TslimaError } from "../../../src/errors.js";

const TEMPLATE = "# mine\nparam:\n  V: '1'\nmounts:\n- location: /a # first\n- location: /b\nportForwards:\n- guestPort: 22\n  ignore: true\n";

/** The template with `o` merged in, as data. */
function merged(o: ConfigOverrides, text = TEMPLATE): { yaml: Record<string, unknown>; text: string } {
  const edits = overrideEdits(o, text).map((e) => ({ ...e, fail: (why: string) => new TslimaError("INVALID_OPTION", why) }));
  const out = applyEdits(text, edits, "t.yaml", "the overrides");
  return { yaml: parse(out) as Record<string, unknown>, text: out };
}

test("typed overrides merge into the template as data: mounts and port forwards appended, comments kept", () => {
  const { yaml, text } = merged({
    cpus: 2,
    memory: 1.5,
    disk: "20GiB",
    mountType: "virtiofs",
    mounts: [{ location: "/src", writable: true, "9p": { cache: "mmap" } }, { location: "~/docs" }],
    portForwards: [{ guestPort: 80, hostPort: 8080 }, { guestSocket: "/run/x.sock", hostSocket: "x.sock" }],
    param: { V: "2=3" },
    dns: ["1.1.1.1"],
    sshPort: 0,
    containerd: { system: false, user: false },
    mountInotify: true,
  });
  assert.deepEqual(yaml.mounts, [{ location: "/a" }, { location: "/b" }, { location: "/src", writable: true, "9p": { cache: "mmap" } }, { location: "~/docs" }]);
  assert.deepEqual(yaml.portForwards, [{ guestPort: 22, ignore: true }, { guestPort: 80, hostPort: 8080 }, { guestSocket: "/run/x.sock", hostSocket: "x.sock" }]);
  assert.deepEqual([yaml.cpus, yaml.memory, yaml.disk, yaml.mountType, yaml.mountInotify], [2, "1.5GiB", "20GiB", "virtiofs", true]);
  assert.deepEqual([yaml.param, yaml.dns, yaml.hostResolver, yaml.ssh, yaml.containerd], [{ V: "2=3" }, ["1.1.1.1"], { enabled: false }, { localPort: 0 }, { system: false, user: false }]);
  assert.match(text, /^# mine\n/);
  assert.match(text, /- location: \/a # first/);
  assert.deepEqual(overrideEdits({}, TEMPLATE), []);
});

test("replaceMounts drops the template's mounts, mountWritable makes every mount writable", () => {
  assert.deepEqual(merged({ replaceMounts: true, mounts: [{ location: "/x" }] }).yaml.mounts, [{ location: "/x" }]);
  assert.deepEqual(merged({ replaceMounts: true }).yaml.mounts, []);
  assert.deepEqual(merged({ mountWritable: true, mounts: [{ location: "/c" }] }).yaml.mounts, [
    { location: "/a", writable: true },
    { location: "/b", writable: true },
    { location: "/c", writable: true },
  ]);
});

test("a value no config can hold is INVALID_OPTION naming the option and field", () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ cpus: 0 }, /^options\.cpus: 0 is not a whole number/],
    [{ memory: "lots" }, /^options\.memory: "lots" is not a size/],
    [{ disk: -1 }, /^options\.disk: -1 is not a size/],
    [{ memory: "4" }, /^options\.memory: "4" is not a size/],
    [{ arch: "mips" }, /^options\.arch: "mips" is not an architecture/],
    [{ vmType: "vz" }, /^options\.vmType: "vz" is not supported/],
    [{ mountType: "nfs" }, /^options\.mountType: "nfs" is not a mount type/],
    [{ mounts: [{ location: "/ok" }, { location: "rel/dir" }] }, /^options\.mounts\[1\]\.location: "rel\/dir" is not an absolute host path/],
    [{ mounts: ["/x:w"] }, /^options\.mounts\[0\]: is not a mount object/],
    [{ mounts: [{ location: "/x", writable: "yes" }] }, /^options\.mounts\[0\]\.writable: "yes" is not true or false/],
    [{ portForwards: ["8080:80"] }, /^options\.portForwards\[0\]: is not a port forward object/],
    [{ dns: ["1.1.1.1", "one.one"] }, /^options\.dns\[1\]: "one\.one" is not an IP address/],
    [{ sshPort: 70000 }, /^options\.sshPort: 70000 is not a TCP port/],
    [{ param: { NOPE: "1" } }, /^options\.param: the template does not define param "NOPE"/],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => overrideEdits(o as ConfigOverrides, TEMPLATE), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INVALID_OPTION" && re.test(e.message), JSON.stringify(o));
  }
});

test("createInstance: the overrides reach lima.yaml; a config rule an option breaks names the option, not a flag", async () => {
  const root = mkdtempSync(join(tmpdir(), "tslima-overrides-"));
  try {
    const file = join(root, "vm.yaml");
    writeFileSync(file, 'images:\n- location: "build:debian-12"\n  arch: "x86_64"\nmounts:\n- location: /srv/data\n');
    const home = join(root, "home");
    const made = await createInstance(file, { name: "ok", home, mounts: [{ location: root, writable: true }], portForwards: [{ guestPort: 80, hostPort: 8080 }] });
    assert.deepEqual(made.config.mounts.map((m) => [m.location, m.writable]), [["/srv/data", false], [root, true]]);
    assert.deepEqual(made.config.portForwards.filter((p) => p.guestPort === 80).map((p) => p.hostPort), [8080]);
    assert.deepEqual((parse(readFileSync(made.paths.limaYaml, "utf8")) as { mounts: unknown[] }).mounts, [{ location: "/srv/data" }, { location: root, writable: true }]);
    const bad = (o: ConfigOverrides, re: RegExp) =>
      assert.rejects(createInstance(file, { name: "bad", home, ...o }), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INVALID_OPTION" && re.test(e.message) && !/--/.test(e.message));
    await bad({ mounts: [{ location: root, "9p": { securityModel: "bogus" as "none" } }] }, /^options\.mounts\[0\]\.9p\.securityModel: /m);
    await bad({ portForwards: [{ guestPort: 80, hostPort: 99999 }] }, /^options\.portForwards\[0\]\.hostPort: /m);
    await bad({ portForwards: [{ guestPort: 80 }, { guestPort: 81, hostPort: -2 }] }, /^options\.portForwards\[1\]\.hostPort: /m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
