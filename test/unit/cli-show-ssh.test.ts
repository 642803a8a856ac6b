/** `limactl show-ssh` on an instance that was created, never started (as Lima's, it needs no VM). */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logSummary } from "../support/logrus.js";
import { repoRoot } from "../helpers.js";

const home = mkdtempSync(join(tmpdir(), "tslima-show-ssh-"));
after(() => rmSync(home, { recursive: true, force: true }));

function limactl(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, TSLIMA_HOME: home };
  delete env.TSLIMA_DEBUG;
  return spawnSync(process.execPath, [join(repoRoot, "bin", "limactl.js"), ...args], { encoding: "utf8", env });
}

test("show-ssh prints the instance's ssh options in each format, with Lima's deprecation warning on stderr", () => {
  const c = limactl(["create", "--tty=false", "--name", "vm", "--set", ".ssh.localPort = 60123", "--set", '.user.name = "ann"', "template:debian-12"]);
  assert.equal(c.status, 0, c.stderr);
  const warning = `warning: \`limactl show-ssh\` is deprecated. Instead, use \`ssh -F ${join(home, "vm", "ssh.config")} lima-vm\`.`;
  const cmd = limactl(["show-ssh", "vm"]);
  assert.equal(cmd.status, 0, cmd.stderr);
  assert.deepEqual(logSummary(cmd.stderr), [warning]);
  assert.match(cmd.stdout, new RegExp(`^ssh -o IdentityFile=${join(home, "_config", "user")} .* -o Hostname=127\\.0\\.0\\.1 -o Port=60123 -o User=ann lima-vm\\n$`));
  const options = limactl(["show-ssh", "--format", "options", "vm"]).stdout.split("\n");
  assert.ok(options.includes("Port=60123") && options.includes("User=ann") && options.includes("HostKeyAlias=lima-vm"), options.join("\n"));
  const config = limactl(["show-ssh", "-f", "config", "vm"]).stdout;
  assert.match(config, /^Host lima-vm\n {2}IdentityFile .*\n[\s\S]* {2}Port 60123\n {2}User ann\n$/);
  assert.equal(limactl(["show-ssh", "--format=args", "vm"]).stdout, `${cmd.stdout.slice("ssh ".length, -" lima-vm\n".length)}\n`);
});

test("show-ssh of an unknown instance, or with an unknown format, fails with exit 1", () => {
  const none = limactl(["show-ssh", "nope"]);
  assert.equal(none.status, 1);
  assert.match(logSummary(none.stderr)[0] ?? "", /^fatal: instance "nope" does not exist/);
  const bad = limactl(["show-ssh", "-f", "json", "vm"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /level=fatal msg="unknown format \\"json\\"".* code=ERR_TSLIMA_INVALID_FORMAT/);
});

test("LIMA_HOME alone is the home (TSLIMA_HOME unset or empty): list finds the instance there, and list and info report it", () => {
  for (const t of [undefined, ""]) {
    const env: NodeJS.ProcessEnv = { ...process.env, LIMA_HOME: home };
    if (t === undefined) delete env.TSLIMA_HOME;
    else env.TSLIMA_HOME = t;
    const run = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, "bin", "limactl.js"), ...args], { encoding: "utf8", env });
    const list = run(["list", "--json"]);
    assert.equal(list.status, 0, list.stderr);
    const rec = JSON.parse(list.stdout.trim()) as { name: string; dir: string; LimaHome: string };
    assert.deepEqual([rec.name, rec.dir, rec.LimaHome], ["vm", join(home, "vm"), home]);
    assert.equal(run(["list", "--format", "{{.LimaHome}}"]).stdout, `${home}\n`);
    assert.equal((JSON.parse(run(["info"]).stdout) as { limaHome: string }).limaHome, home);
  }
});
