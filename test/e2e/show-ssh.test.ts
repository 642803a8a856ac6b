/**
 * `limactl show-ssh` on a running VM (a clone of the run's base snapshot): what each format prints
 * reaches the guest with the ssh client, run the way a user or a tool would run it (the cmd line
 * through sh, the args words before the host alias, the config block as an ssh_config file).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { bootGuest, Cli, guestYaml } from "./harness.js";

const NAME = "showssh";
const cli = new Cli("show-ssh");
after(() => cli.cleanup([NAME]));

test("show-ssh cmd, args and config reach the running guest; Lima's deprecation warning goes to stderr", { timeout: 20 * 60_000 }, async () => {
  await using vm = await bootGuest(cli, { from: "base-snapshot", name: NAME, yaml: guestYaml() });
  assert.equal(vm.instance.name, NAME);
  const sh = (script: string) => {
    const r = spawnSync("sh", ["-c", script], { encoding: "utf8", env: cli.env(), cwd: cli.root, timeout: 120_000 });
    assert.equal(r.status, 0, `${script}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const cmd = await cli.ok(["show-ssh", NAME]);
  assert.equal(cmd.stderr, `warning: \`limactl show-ssh\` is deprecated. Instead, use \`ssh -F ${join(cli.home, NAME, "ssh.config")} lima-${NAME}\`.\n`);
  assert.equal(sh(`${cmd.stdout.trim()} hostname`), `lima-${NAME}`);
  const args = (await cli.ok(["show-ssh", "--format", "args", NAME])).stdout.trim();
  assert.equal(sh(`ssh ${args} lima-${NAME} -- id -un`), (await vm.exec(["id", "-un"])).stdout.trim());
  const config = cli.file("show-ssh.config", (await cli.ok(["show-ssh", "-f", "config", NAME])).stdout);
  assert.equal(sh(`ssh -F ${config} lima-${NAME} -- echo via-config`), "via-config");
  const port = (await cli.ok(["show-ssh", "-f", "options", NAME])).stdout.split("\n").find((l) => l.startsWith("Port="));
  const listed = JSON.parse((await cli.ok(["list", "--json", NAME])).stdout.trim()) as { sshLocalPort: number };
  assert.equal(port, `Port=${listed.sshLocalPort}`);
  assert.ok(listed.sshLocalPort > 0);
});
