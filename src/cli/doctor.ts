import type { Command } from "commander";

interface MountsFlags {
  json?: boolean;
  mount?: string[];
  raw?: boolean;
}

async function mounts(name: string, flags: MountsFlags): Promise<void> {
  const { doctorMounts, doctorTable } = await import("../internal.js");
  const report = await doctorMounts(name, {
    ...(flags.mount ? { mounts: flags.mount } : {}),
    raw: flags.raw === true,
    onProgress: (m) => void process.stderr.write(`${m}\n`),
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const out = [doctorTable(report), "", report.inotify.summary, ""];
  for (const m of report.mounts) {
    const opts = Object.entries(m.configured).map(([k, v]) => `${k}=${String(v)}`).join(" ");
    const qemu = m.qemu ? `; QEMU: security_model=${m.qemu.securityModel}${m.qemu.readonly ? " readonly=on" : ""}` : "";
    out.push(`${m.mountPoint} (${m.location}): ${m.type} ${opts}${qemu}; guest: ${m.guest ? `${m.guest.fstype} ${m.guest.options.join(",")}` : "not mounted"}`);
    for (const p of m.problems) out.push(`  - ${p}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

export function register(program: Command): void {
  const doctor = program.command("doctor").description("check an instance");
  doctor
    .command("mounts")
    .description("for a running instance, each mount's options and a live probe of what works (chown, symlinks, locks, mmap, ...), as the user and as root")
    .argument("[name]", "instance name", "default")
    .option("--json", "print the report as JSON (fields: see the README)")
    .option("--raw", "with --json: add each mount's raw probe output and host view (for bug reports)")
    .option("--mount <path>", "only this mount (mount point or host location); repeatable", (v: string, prev: string[] = []) => [...prev, v])
    .action(mounts);
}
