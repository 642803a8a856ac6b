import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fillDefaults, loadConfig, validateConfig } from "../../../src/config/index.js";
import { fieldPath } from "../../../src/config/errors.js";
import { copyToHostRules } from "../../../src/config/copy-to-host.js";
import { isTslimaError } from "../../../src/errors.js";
import { sharedDir } from "../../helpers.js";
import { linuxHost, tempTree } from "./support.js";

const image = { images: [{ location: "build:debian-12", arch: "x86_64" }] };
const DIR = "/home/alice/.tslima/k";

function filled(copyToHost: unknown[], more: Record<string, unknown> = {}) {
  const yaml = { ...image, copyToHost, ...more };
  const { config } = fillDefaults(yaml, linuxHost, "k", { instanceDir: DIR });
  return { config, findings: validateConfig(config, yaml, linuxHost) };
}

test("copyToHost: guest paths take the guest's template variables, host paths the host's (Lima's lists)", () => {
  const { config, findings } = filled(
    [
      { guest: "{{.Home}}/{{.Name}}-{{.Hostname}}-{{.User}}-{{.UID}}-{{.Param.F}}", host: "{{.Dir}}/out/{{.Name}}-{{.User}}-{{.UID}}-{{.Param.F}}" },
      { guest: "/etc/hostname", host: "{{.Home}}/copies/hostname", skipIfMissing: true, deleteOnStop: true },
    ],
    { user: { name: "bob", uid: 2000 }, param: { F: "cfg" } },
  );
  assert.deepEqual(findings.filter((f) => !f.warning), []);
  assert.deepEqual(findings.filter((f) => f.path[0] === "copyToHost"), [], "no 'ignored' warning any more");
  assert.deepEqual(copyToHostRules(config.extra, DIR), [
    { guest: "/home/bob.guest/k-lima-k-bob-2000-cfg", host: `${DIR}/out/k-alice-1001-cfg`, skipIfMissing: false, deleteOnStop: false },
    { guest: "/etc/hostname", host: "/home/alice/copies/hostname", skipIfMissing: true, deleteOnStop: true },
  ]);
});

test("copyToHost: both paths must be set and absolute (Lima's Validate), each finding at its field", () => {
  const { findings } = filled([{ guest: "etc/x", host: "{{.Dir}}/a" }, { host: "relative/b" }, { guest: "/x", host: "" }]);
  assert.deepEqual(
    findings.filter((f) => !f.warning).map((f) => `${fieldPath(f.path)}: ${f.message}`),
    [
      'copyToHost[0].guest: must be an absolute path, got "etc/x"',
      "copyToHost[1].guest: must be set to an absolute guest path",
      'copyToHost[1].host: must be an absolute path, got "relative/b"',
      "copyToHost[2].host: must be set to an absolute host path",
    ],
  );
});

test("copyToHost: a host path among tslima's own files (the instance directory, TSLIMA_HOME/_config) is refused", () => {
  for (const host of [`${DIR}/ssh.config`, `${DIR}/../k/lima.yaml`, "/home/alice/.tslima/_config/user", "/home/alice/.tslima/_config"]) {
    assert.throws(
      () => copyToHostRules({ copyToHost: [{ guest: "/etc/x", host }] }, DIR),
      (e) => isTslimaError(e) && e.kind === "CONFIG_INVALID" && /copyToHost\[0\]\.host/.test(e.message) && /copied-from-guest\/x/.test(e.hint ?? ""),
      host,
    );
  }
  // a directory of its own under the instance directory is what Lima's templates use
  assert.equal(copyToHostRules({ copyToHost: [{ guest: "/etc/x", host: `${DIR}/copied-from-guest/x` }] }, DIR).length, 1);
});

test("Lima's k3s template loads and plans its kubeconfig copy", async () => {
  const home = tempTree({});
  try {
    const dir = join(home.dir, "k3s");
    const limaDir = join(sharedDir, "lima-templates");
    const { config, warnings } = await loadConfig(join(limaDir, "k3s.yaml"), { hostFacts: linuxHost, tslimaHome: home.dir, instanceName: "k3s", templatesPath: [limaDir] });
    assert.deepEqual(warnings.filter((w) => w.includes("copyToHost")), []);
    assert.deepEqual(copyToHostRules(config.extra, dir), [
      { guest: "/etc/rancher/k3s/k3s.yaml", host: join(dir, "copied-from-guest", "kubeconfig.yaml"), skipIfMissing: true, deleteOnStop: true },
    ]);
  } finally {
    home.cleanup();
  }
});
