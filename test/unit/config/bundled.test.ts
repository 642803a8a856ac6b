import { test } from "node:test";
import assert from "node:assert/strict";
import { bundledTemplatesDir, listTemplates, loadConfig } from "../../../src/config/index.js";
import { linuxHost, macHost, tempTree } from "./support.js";

test("bundled templates: default, docker, docker-rootful, debian-12 and ubuntu-lts are listed and valid on Linux and macOS hosts", async () => {
  const names = listTemplates([bundledTemplatesDir()]).map((t) => t.name);
  for (const n of ["default", "docker", "docker-rootful", "debian-12", "ubuntu-lts"]) assert.ok(names.includes(n), `${n} in ${names.join(" ")}`);
  const home = tempTree({});
  try {
    for (const host of [linuxHost, macHost]) {
      for (const name of names) {
        const { warnings } = await loadConfig(`template:${name}`, { hostFacts: host, tslimaHome: home.dir, templatesPath: [] });
        assert.deepEqual(warnings, [], `${name} on ${host.os}`);
      }
    }
  } finally {
    home.cleanup();
  }
});

test("default template: Debian 12 generic images with digests for both arches, build:debian-12 last, ~ read-only over 9p", async () => {
  const home = tempTree({});
  try {
    const { config } = await loadConfig("template:default", { hostFacts: linuxHost, tslimaHome: home.dir, templatesPath: [] });
    for (const arch of ["x86_64", "aarch64"] as const) {
      const images = config.images.filter((i) => i.arch === arch);
      assert.ok(images.some((i) => /debian-12-generic-/.test(i.location) && /^sha512:[0-9a-f]{128}$/.test(i.digest ?? "")), arch);
      assert.equal(images[images.length - 1]?.location, "build:debian-12", arch);
    }
    assert.equal(config.images[config.images.length - 1]?.location, "build:debian-12");
    assert.equal(config.mountType, "9p");
    assert.deepEqual(config.mounts.map((m) => [m.location, m.writable, m["9p"].securityModel, m["9p"].cache]), [["/home/alice", false, "none", "fscache"]]);
    const docker = await loadConfig("template:docker", { hostFacts: linuxHost, tslimaHome: home.dir, templatesPath: [] });
    assert.deepEqual(docker.config.mounts.map((m) => [m.location, m.writable, m["9p"].securityModel, m["9p"].cache]), [["/home/alice", true, "mapped-xattr", "mmap"]]);
    assert.equal(docker.config.portForwards[0]?.hostSocket, `${home.dir}/docker/sock/docker.sock`);
  } finally {
    home.cleanup();
  }
});
