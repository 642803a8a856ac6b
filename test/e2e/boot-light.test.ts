/**
 * End to end, through the CLI, on the locally built Debian 12 guest (direct kernel boot): a lighter
 * cold boot (issue 11). The first start runs cloud-init in full; a second start of the unchanged
 * instance boots with `cloud-init=disabled` and tslima-boot.service does the per-boot work (boot,
 * system and user provisioning run again, the 9p mount is there, probes pass, passwordlessSudo:
 * false still holds); after a change to the config that changes the cidata (env:, provision:), the
 * next start runs cloud-init in full again and applies it. No wall-clock times are asserted.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cli, guestYaml } from "./harness.js";

const NAME = "light";
const cli = new Cli("boot-light");
const BOOT = { timeout: 50 * 60_000 };
/** This 2-core machine runs other VMs too: a boot may take many minutes under TCG. */
const START = ["--timeout", "40m"];
const LONG = { timeoutMs: 45 * 60_000 };
const project = join(cli.root, "project");

/** Every step leaves one line per run in a file the user can read, so a run count says what ran. */
function yaml(o: { foo: string; extraProvision?: string }): string {
  return guestYaml(
    [
      "mounts:",
      `- location: ${JSON.stringify(project)}`,
      "  writable: true",
      "user:",
      "  passwordlessSudo: false",
      "env:",
      `  FOO: ${JSON.stringify(o.foo)}`,
      "provision:",
      "- mode: boot",
      "  script: |",
      "    #!/bin/sh",
      '    echo "boot $FOO" >>/var/lib/boot-runs; chmod 644 /var/lib/boot-runs',
      "- mode: system",
      "  script: |",
      "    #!/bin/sh",
      '    echo "system $FOO" >>/var/lib/system-runs; chmod 644 /var/lib/system-runs',
      "- mode: user",
      "  script: |",
      "    #!/bin/sh",
      '    echo "user $(id -un) $FOO" >>"$HOME/user-runs"',
      ...(o.extraProvision !== undefined ? ["- mode: system", "  script: |", "    #!/bin/sh", `    ${o.extraProvision}`] : []),
      "probes:",
      "- description: the system provisioning ran on this boot",
      "  script: |",
      "    #!/bin/sh",
      "    test -s /var/lib/system-runs",
    ].join("\n"),
  );
}

async function guest(script: string): Promise<string> {
  return (await cli.ok(["shell", "--workdir", "/", NAME, "sh", "-c", script])).stdout;
}

/** What the guest says about this boot: the command line switch, cloud-init's and tslima-boot's units. */
async function bootFacts(): Promise<{ disabled: boolean; cloudFinal: string; tslimaBoot: string; resultJson: boolean }> {
  const out = await guest(
    [
      "grep -qw cloud-init=disabled /proc/cmdline && echo disabled=yes || echo disabled=no",
      "echo cloudFinal=$(systemctl show -p ActiveState --value cloud-final.service)",
      "echo tslimaBoot=$(systemctl show -p ActiveState --value tslima-boot.service)",
      "test -e /run/cloud-init/result.json && echo result=yes || echo result=no",
    ].join("; "),
  );
  const v = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=") as [string, string]));
  return { disabled: v.disabled === "yes", cloudFinal: v.cloudFinal ?? "", tslimaBoot: v.tslimaBoot ?? "", resultJson: v.result === "yes" };
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

before(() => {
  mkdirSync(project, { recursive: true });
  chmodSync(project, 0o777);
});
after(() => cli.cleanup([NAME]));

test("first start: cloud-init runs in full", BOOT, async () => {
  const file = cli.file("light.yaml", yaml({ foo: "one" }));
  const r = await cli.ok(["start", ...START, "--name", NAME, file], LONG);
  assert.match(r.stderr, /cloud-init: full run \(first boot of the disk\)/);
  assert.match(r.stderr, /Waiting for cloud-init to finish/);
  const f = await bootFacts();
  assert.equal(f.disabled, false);
  assert.equal(f.cloudFinal, "active");
  assert.equal(f.resultJson, true);
  assert.notEqual(f.tslimaBoot, "active", "tslima-boot.service stays out of a full boot");
  assert.deepEqual(lines(await guest("cat /var/lib/system-runs")), ["system one"]);
  await cli.ok(["stop", NAME], LONG);
});

test("second start of the unchanged instance: cloud-init switched off, per-boot work done by tslima-boot.service", BOOT, async () => {
  const r = await cli.ok(["start", ...START, NAME], LONG);
  assert.match(r.stderr, /cloud-init: switched off \(the cidata is unchanged/);
  assert.match(r.stderr, /Waiting for the guest's boot setup \(tslima-boot\.service/);
  assert.match(r.stderr, /READY/);
  const f = await bootFacts();
  assert.equal(f.disabled, true, "the kernel command line has cloud-init=disabled");
  assert.equal(f.cloudFinal, "inactive", "cloud-init's final stage did not run");
  assert.equal(f.resultJson, false, "cloud-init did not run at all on this boot");
  assert.equal(f.tslimaBoot, "active");
  // mode boot, system and user provisioning run on every boot (as Lima's do), with env:
  assert.deepEqual(lines(await guest("cat /var/lib/boot-runs")), ["boot one", "boot one"]);
  assert.deepEqual(lines(await guest("cat /var/lib/system-runs")), ["system one", "system one"]);
  assert.equal(lines(await guest('cat "$HOME/user-runs"')).length, 2);
  assert.match(await guest('echo "FOO=$FOO"'), /^FOO=one$/m, "login shells still get env:");
  // the 9p mount is there and writable
  await cli.ok(["shell", NAME, "sh", "-c", "echo from-light-boot > light.txt"], { cwd: project });
  assert.equal(readFileSync(join(project, "light.txt"), "utf8"), "from-light-boot\n");
  const m = await guest(`findmnt -n -o FSTYPE --target ${JSON.stringify(project)}`);
  assert.equal(m.trim(), "9p");
  // passwordlessSudo: false still holds; the password set on the first boot still works
  const n = await cli.run(["shell", NAME, "sudo", "-n", "true"]);
  assert.notEqual(n.code, 0);
  assert.equal((await guest('sudo -S -p "" id -u <"$HOME/password"')).trim(), "0");
  // the guest's host name and pinned host key are those of the first boot (ssh checks the key)
  assert.equal((await guest("hostname")).trim(), `lima-${NAME}`);
  await cli.ok(["stop", NAME], LONG);
});

test("after a change to env: and provision:, the next start runs cloud-init in full and applies it", BOOT, async () => {
  writeFileSync(join(cli.home, NAME, "lima.yaml"), yaml({ foo: "two", extraProvision: "echo added >/var/lib/added; chmod 644 /var/lib/added" }));
  cli.chown(join(cli.home, NAME, "lima.yaml"));
  const r = await cli.ok(["start", ...START, NAME], LONG);
  assert.match(r.stderr, /cloud-init: full run \(the cidata changed/);
  const f = await bootFacts();
  assert.equal(f.disabled, false);
  assert.equal(f.cloudFinal, "active");
  assert.equal(f.resultJson, true);
  assert.equal(lines(await guest("cat /var/lib/added")).join(), "added", "the new provision step ran");
  assert.match(await guest('echo "FOO=$FOO"'), /^FOO=two$/m, "the new env: is applied");
  assert.deepEqual(lines(await guest("cat /var/lib/system-runs")), ["system one", "system one", "system two"]);
  assert.deepEqual(lines(await guest("cat /var/lib/boot-runs")), ["boot one", "boot one", "boot two"]);
});
