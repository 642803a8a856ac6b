import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { parseMountFlag, parsePortForwardFlag, requestFrom } from "../../src/cli/overrides.js";
import type { CreateFlags } from "../../src/cli/overrides.js";
import { createRequested, isTslimaError, trySize } from "../../src/internal.js";

const isSize = (s: string) => trySize(s) !== undefined;
const request = (f: CreateFlags, cwd = "/work") => requestFrom(f, cwd, isSize);

test("Lima's flags become the library's typed request: mounts and port forwards as objects", () => {
  const { names, ...r } = request({
    name: "dev",
    cpus: 2,
    memory: "1",
    disk: "20GiB",
    mountType: "virtiofs",
    mountInotify: true,
    mount: ["/src:w", "rel", "/ro:ro"],
    portForward: ["8080:80", "9090:90,static=true"],
    param: ["V=2=3"],
    dns: ["1.1.1.1"],
    plain: true,
    arch: "aarch64",
    vmType: "qemu",
    sshPort: 2222,
    containerd: "none",
    set: [".ssh.localPort=0"],
  });
  assert.equal(names?.code, "INVALID_FLAG");
  assert.deepEqual(r, {
    name: "dev",
    cpus: 2,
    memory: "1GiB",
    disk: "20GiB",
    arch: "aarch64",
    vmType: "qemu",
    mountType: "virtiofs",
    mounts: [
      { location: "/src", writable: true },
      { location: "/work/rel", writable: false },
      { location: "/ro", writable: false },
    ],
    mountInotify: true,
    param: { V: "2=3" },
    portForwards: [{ guestPort: 80, hostPort: 8080 }, { guestPort: 90, hostPort: 9090, static: true }],
    dns: ["1.1.1.1"],
    plain: true,
    sshPort: 2222,
    containerd: { system: false, user: false },
    sets: [".ssh.localPort=0"],
  });
  const { names: _n, ...none } = request({});
  assert.deepEqual(none, {});
  assert.deepEqual(request({ mountOnly: ["/x:w"], mountWritable: true }).mounts, [{ location: "/x", writable: true }]);
  assert.equal(request({ mountOnly: ["/x:w"] }).replaceMounts, true);
  assert.equal(request({ mountNone: true }).replaceMounts, true);
  assert.equal(request({ mountWritable: true }).mountWritable, true);
});

test("--containerd sets containerd.system and containerd.user", () => {
  assert.deepEqual(request({ containerd: "user+system" }).containerd, { system: true, user: true });
  assert.deepEqual(request({ containerd: "system" }).containerd, { system: true, user: false });
  assert.deepEqual(request({ containerd: "user" }).containerd, { system: false, user: true });
});

test("bad flags are INVALID_FLAG errors naming the flag", () => {
  const cases: Array<[CreateFlags, RegExp]> = [
    [{ vmType: "vz" }, /^--vm-type: "vz" is not supported/],
    [{ network: ["lima:user-v2", "shared"] }, /^--network: network name must be `vzNAT` or `lima:\*`, got "shared"/],
    [{ containerd: "lots" }, /^--containerd: expected one of/],
    [{ mountNone: true, mountOnly: ["/x"] }, /^--mount-none: conflicts with --mount-only/],
    [{ mount: ["/x"], mountOnly: ["/y"] }, /^--mount: conflicts with --mount-only/],
    [{ param: ["V"] }, /^--param: "V" is not NAME=VALUE/],
    [{ portForward: ["80"] }, /^--port-forward: "80" is not HOST:GUEST/],
    [{ portForward: ["0:80"] }, /^--port-forward: 0 is not a TCP port/],
    [{ portForward: ["1:80,static=maybe"] }, /^--port-forward: "static=maybe"/],
    [{ memory: "lots" }, /^--memory "lots" is not a size/],
    [{ mount: [":w"] }, /^--mount ":w" has no directory/],
  ];
  for (const [f, re] of cases) {
    assert.throws(() => request(f), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INVALID_FLAG" && re.test(e.message), JSON.stringify(f));
  }
  assert.deepEqual(parsePortForwardFlag(" 8080 : 80 "), { hostPort: 8080, guestPort: 80 });
  assert.deepEqual(parseMountFlag("/x/y:w", "/"), { location: "/x/y", writable: true });
});

test("the library's checks of a flag's value, and of the template, name the flag for the CLI", async () => {
  const root = mkdtempSync(join(tmpdir(), "tslima-cli-overrides-"));
  try {
    const file = join(root, "vm.yaml");
    writeFileSync(file, 'images:\n- location: "build:debian-12"\n  arch: "x86_64"\nparam:\n  V: "1"\nportForwards:\n- guestPort: 3000\n  ignore: true\n');
    const home = join(root, "home");
    const cases: Array<[CreateFlags, RegExp]> = [
      [{ param: ["NOPE=1"] }, /^--param: the template does not define param "NOPE"/],
      [{ dns: ["one.one"] }, /^--dns: "one\.one" is not an IP address/],
      [{ arch: "mips" }, /^--arch: "mips" is not an architecture/],
      [{ sshPort: 70000 }, /^--ssh-port: 70000 is not a TCP port/],
    ];
    for (const [f, re] of cases) {
      await assert.rejects(createRequested(file, { ...request({ ...f, name: "bad" }, root), home }), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INVALID_FLAG" && re.test(e.message), JSON.stringify(f));
    }
    const made = await createRequested(file, { ...request({ name: "ok", portForward: ["8080:80"], mount: ["data:w"], set: ['.mounts += [{"location": "/opt/x"}]'] }, root), home });
    const yaml = parse(readFileSync(made.paths.limaYaml, "utf8")) as Record<string, unknown>;
    assert.deepEqual(yaml.portForwards, [{ guestPort: 3000, ignore: true }, { guestPort: 80, hostPort: 8080 }]);
    assert.deepEqual(yaml.mounts, [{ location: join(root, "data"), writable: true }, { location: "/opt/x" }], "--set applies after the flags");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("--video, --nested-virt, --audio-*, --image-variant, --arch-variant and --shell set Lima's fields, before --set", async () => {
  const root = mkdtempSync(join(tmpdir(), "tslima-cli-fields-"));
  try {
    const file = join(root, "vm.yaml");
    const images = [
      { location: "build:debian-12", arch: "x86_64", variant: "plain" },
      { location: "build:debian-12-docker", arch: "x86_64", variant: "docker", archVariant: "v3" },
      { location: "build:debian-12", arch: "aarch64", variant: "docker" },
    ];
    writeFileSync(file, `images: ${JSON.stringify(images)}\n`);
    const home = join(root, "home");
    const flags: CreateFlags = { video: true, nestedVirt: true, audioDevice: "none", audioInterface: "hda", imageVariant: "docker", shell: "/bin/zsh", set: ['.user.shell = "/bin/bash"'] };
    const made = await createRequested(file, { ...request({ ...flags, name: "fields" }, root), home });
    const yaml = parse(readFileSync(made.paths.limaYaml, "utf8")) as Record<string, unknown>;
    assert.deepEqual(yaml.video, { display: "default" });
    assert.equal(yaml.nestedVirtualization, true);
    assert.deepEqual(yaml.audio, { device: "none", interface: "hda" });
    assert.deepEqual(yaml.images, [images[1], images[2]], "only the variant's images are kept");
    assert.deepEqual(yaml.user, { shell: "/bin/bash" }, "--set applies after the field flags");
    const v3 = await createRequested(file, { ...request({ archVariant: "v3", name: "v3" }, root), home });
    assert.deepEqual((parse(readFileSync(v3.paths.limaYaml, "utf8")) as Record<string, unknown>).images, [images[1]]);
    for (const f of [{ imageVariant: "" }, { archVariant: "" }] as CreateFlags[]) {
      assert.throws(() => request(f), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_INVALID_FLAG" && /must not be empty/.test(e.message));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("--network lima:NAME adds to networks once per name, as Lima's editflags; vzNAT is refused by validation", async () => {
  const root = mkdtempSync(join(tmpdir(), "tslima-cli-network-"));
  try {
    const file = join(root, "vm.yaml");
    writeFileSync(file, "images: [{location: build:debian-12, arch: x86_64}]\nnetworks:\n- lima: foo\n");
    const home = join(root, "home");
    const made = await createRequested(file, { ...request({ network: ["lima:user-v2", "lima:foo", "lima:user-v2"], name: "net" }, root), home });
    assert.deepEqual((parse(readFileSync(made.paths.limaYaml, "utf8")) as Record<string, unknown>).networks, [{ lima: "foo" }, { lima: "user-v2" }]);
    await assert.rejects(createRequested(file, { ...request({ network: ["vzNAT"], name: "vz" }, root), home }), (e: unknown) => isTslimaError(e) && /networks\[1\]\.vzNAT/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
