import { test } from "node:test";
import assert from "node:assert/strict";
import { overridesToSets, parseMountFlag, parsePortForwardFlag } from "../../../src/instance/overrides.js";

test("flags become applySets expressions, mounts appended after the template's", () => {
  const sets = overridesToSets(
    { cpus: 2, memory: "1", disk: "20GiB", mountType: "virtiofs", mountInotify: true, mounts: ["/src:w", "rel"], sets: [".ssh.localPort=0"] },
    "mounts:\n- location: /a\n",
    "/work",
  );
  assert.deepEqual(sets, [
    ".cpus=2",
    '.memory="1GiB"',
    '.disk="20GiB"',
    '.mountType="virtiofs"',
    '.mounts[1]={"location":"/src","writable":true}',
    '.mounts[2]={"location":"/work/rel","writable":false}',
    ".mountInotify=true",
    ".ssh.localPort=0",
  ]);
  assert.deepEqual(overridesToSets({}, "", "/"), []);
});

test("bad flags are errors naming the flag", () => {
  assert.throws(() => overridesToSets({ cpus: 0 }, "", "/"), /--cpus/);
  assert.throws(() => overridesToSets({ memory: "lots" }, "", "/"), /--memory/);
  assert.throws(() => parseMountFlag(":w", "/"), /--mount/);
  assert.deepEqual(parseMountFlag("/x/y:w", "/"), { location: "/x/y", writable: true });
});

test("Lima's create/start flags become expressions on the template", () => {
  const tmpl = "param:\n  V: '1'\nmounts:\n- location: /a\n- location: /b\n";
  assert.deepEqual(overridesToSets({ mountWritable: true, mounts: ["/c"], mountInotify: true }, tmpl, "/w"), [
    ".mounts[0].writable=true",
    ".mounts[1].writable=true",
    '.mounts[2]={"location":"/c","writable":true}',
    ".mountInotify=true",
  ]);
  assert.deepEqual(overridesToSets({ mountOnly: ["/x:w", "y"] }, tmpl, "/w"), ['.mounts=[{"location":"/x","writable":true},{"location":"/w/y","writable":false}]']);
  assert.deepEqual(overridesToSets({ mountNone: true }, tmpl, "/w"), [".mounts=[]"]);
  assert.deepEqual(
    overridesToSets({ params: ["V=2=3"], portForwards: ["8080:80", "9090:90,static=true"], dns: ["1.1.1.1"], plain: true, arch: "aarch64", vmType: "qemu", sshPort: 2222, containerd: "none" }, tmpl, "/"),
    [
      '.param["V"]="2=3"',
      '.portForwards += [{"guestPort":80,"hostPort":8080},{"guestPort":90,"hostPort":9090,"static":true}]',
      '.dns += ["1.1.1.1"]',
      ".hostResolver.enabled=false",
      ".plain=true",
      '.arch="aarch64"',
      '.vmType="qemu"',
      ".ssh.localPort=2222",
      ".containerd.system=false",
      ".containerd.user=false",
    ],
  );
});

test("flags tslima cannot honour, and bad values, are refused naming the flag", () => {
  const cases: Array<[Parameters<typeof overridesToSets>[0], RegExp]> = [
    [{ vmType: "vz" }, /^--vm-type: "vz" is not supported/],
    [{ networks: ["lima:shared"] }, /^--network: lima:shared/],
    [{ containerd: "user" }, /^--containerd: user: tslima does not install/],
    [{ containerd: "lots" }, /^--containerd: expected one of/],
    [{ arch: "mips" }, /^--arch: "mips"/],
    [{ mountNone: true, mountOnly: ["/x"] }, /^--mount-none: conflicts with --mount-only/],
    [{ mounts: ["/x"], mountOnly: ["/y"] }, /^--mount: conflicts with --mount-only/],
    [{ params: ["NOPE=1"] }, /^--param: the template does not define param "NOPE"/],
    [{ params: ["V"] }, /^--param: "V" is not NAME=VALUE/],
    [{ portForwards: ["80"] }, /^--port-forward: "80" is not HOST:GUEST/],
    [{ portForwards: ["0:80"] }, /^--port-forward: 0 is not a TCP port/],
    [{ portForwards: ["1:80,static=maybe"] }, /^--port-forward: "static=maybe"/],
    [{ dns: ["one.one"] }, /^--dns: "one.one" is not an IP address/],
    [{ sshPort: 70000 }, /^--ssh-port: 70000/],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => overridesToSets(o, "param:\n  V: '1'\n", "/"), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_INVALID_FLAG" && re.test(e.message), JSON.stringify(o));
  }
  assert.deepEqual(parsePortForwardFlag(" 8080 : 80 "), { hostPort: 8080, guestPort: 80 });
});
