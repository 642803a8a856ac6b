import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/index.js";
import type { Config } from "../../../src/config/types.js";
import { provisionPlan } from "../../../src/cidata/provision.js";
import { dockerHostSocket } from "../../../src/portfwd/rules.js";
import { fixturesDir } from "../../helpers.js";
import { linuxHost } from "./support.js";

/**
 * template:docker (rootless, as Lima's docker.yaml) and template:docker-rootful (Lima's
 * docker-rootful.yaml): what each forwards, provisions and probes, and the guest's generated boot
 * plan, pinned by test/fixtures/templates/NAME.golden (UPDATE_GOLDEN=1 rewrites them).
 */
async function load(name: string): Promise<Config> {
  const { config, warnings } = await loadConfig(`template:${name}`, { hostFacts: linuxHost, tslimaHome: "/home/alice/.tslima", templatesPath: [] });
  assert.deepEqual(warnings, [], `template:${name} loads without warnings`);
  return config;
}

/** The parts of a docker template the guest and the host act on, as text. */
function summary(c: Config): string {
  const plan = provisionPlan(c, { mounts: [], qemuArgs: [] }, "192.168.5.2");
  const lines = [
    `images: ${c.images.map((i) => `${i.location} ${i.arch}`).join(", ")}`,
    `mounts: ${c.mounts.map((m) => `${m.location} writable=${m.writable} 9p.securityModel=${m["9p"].securityModel}`).join(", ")}`,
    `hostResolver.hosts: ${JSON.stringify(c.hostResolver.hosts)}`,
    `portForwards: ${c.portForwards.map((p) => `${p.guestSocket || p.guestPort} -> ${p.hostSocket || p.hostPort}`).join(", ")}`,
    "--- plan.sh",
    plan.planSh.trimEnd(),
  ];
  c.provision.forEach((p, i) => lines.push(`--- provision[${i}] mode ${p.mode}`, (p.script ?? "").trimEnd()));
  c.probes.forEach((p, i) => lines.push(`--- probe[${i}] ${p.description ?? ""}`, p.script.trimEnd()));
  return `${lines.join("\n")}\n`;
}

function assertGolden(name: string, text: string): void {
  const dir = join(fixturesDir, "templates");
  const file = join(dir, `${name}.golden`);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.equal(text, readFileSync(file, "utf8"), `template:${name} differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}

test("template:docker is rootless: the user's /run/user/UID/docker.sock forwarded, a user provisioning step, no system daemon", async () => {
  const c = await load("docker");
  // the guest user's uid (the host's, 1001 here), not root's socket
  assert.equal(c.portForwards[0]?.guestSocket, "/run/user/1001/docker.sock");
  assert.equal(dockerHostSocket(c.portForwards), "/home/alice/.tslima/docker/sock/docker.sock", "start makes a docker context for it");
  assert.deepEqual(c.provision.map((p) => p.mode), ["boot", "system", "user"]);
  const system = c.provision[1]?.script ?? "";
  assert.match(system, /loginctl enable-linger "\$user"/);
  assert.match(c.provision[0]?.script ?? "", /systemctl mask docker\.socket docker\.service containerd\.service/, "the rootful daemon is masked at boot");
  for (const pkg of ["docker.io", "rootlesskit", "slirp4netns", "uidmap", "dbus-user-session"]) assert.ok(system.includes(` ${pkg}`), `apt fallback installs ${pkg}`);
  const user = c.provision[2]?.script ?? "";
  assert.match(user, /^ExecStart=\/usr\/share\/docker.io\/contrib\/dockerd-rootless\.sh$/m, "the user service runs Debian's dockerd-rootless.sh");
  assert.match(user, /systemctl --user enable --now docker\.service/);
  assert.doesNotMatch(c.provision.map((p) => p.script ?? "").join("\n"), /\/var\/run\/docker\.sock|usermod -aG docker/);
  assertGolden("docker", summary(c));
});

test("template:docker-rootful: root's /var/run/docker.sock forwarded, the user in the docker group, no user step", async () => {
  const c = await load("docker-rootful");
  assert.equal(c.portForwards[0]?.guestSocket, "/var/run/docker.sock");
  assert.equal(dockerHostSocket(c.portForwards), "/home/alice/.tslima/docker-rootful/sock/docker.sock");
  assert.deepEqual(c.provision.map((p) => p.mode), ["boot", "system"]);
  assert.match(c.provision[1]?.script ?? "", /usermod -aG docker/);
  assertGolden("docker-rootful", summary(c));
});

test("both docker templates boot the same prebuilt image first (one image serves rootless and rootful)", async () => {
  const [rootless, rootful] = [await load("docker"), await load("docker-rootful")];
  assert.deepEqual(rootless.images, rootful.images);
  assert.equal(rootless.images[0]?.location, "build:debian-12-docker");
});
