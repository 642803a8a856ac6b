/**
 * What the guest says about its last boot (issue 11's lighter boot): whether cloud-init was
 * switched off on the kernel command line, whether its final stage and tslima-boot.service ran, and
 * the lines the provisioning scripts of lightYaml() append on every run, so a run count says what ran.
 */
import type { Cli } from "./harness.js";

/**
 * The YAML fields (over guestYaml()) whose per-boot work a light boot must redo: env:, boot, system
 * and user provisioning that each append a line, a probe, and passwordlessSudo: false.
 */
export function lightYaml(o: { foo: string; extraProvision?: string }): string {
  return [
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
  ].join("\n");
}

/** Runs a script in the guest (in /) and returns its stdout. */
export async function guestOut(cli: Cli, name: string, script: string): Promise<string> {
  return (await cli.ok(["shell", "--workdir", "/", name, "sh", "-c", script])).stdout;
}

export interface BootFacts {
  disabled: boolean;
  cloudFinal: string;
  tslimaBoot: string;
  resultJson: boolean;
}

/** The command line switch, cloud-init's final stage, tslima-boot.service, cloud-init's result file. */
export async function bootFacts(cli: Cli, name: string): Promise<BootFacts> {
  const out = await guestOut(
    cli,
    name,
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

export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}
