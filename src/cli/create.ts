import { Command, InvalidArgumentError, Option } from "commander";
import type { Overrides } from "../index.js";

export interface CreateFlags {
  name?: string;
  cpus?: number;
  memory?: string;
  disk?: string;
  mount?: string[];
  mountType?: string;
  mountInotify?: boolean;
  set?: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** --cpus: a whole number of at least 1, refused as typed (commander names the flag). */
function cpuCount(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v.trim())) throw new InvalidArgumentError("must be a whole number of at least 1, e.g. --cpus 2.");
  return Number(v);
}

/** The flags `create` and `start` share (Lima's). */
export function addCreateFlags(cmd: Command): Command {
  return cmd
    .option("--name <name>", "instance name (default: from the file or template name)")
    .option("--cpus <n>", "number of CPUs", cpuCount)
    .option("--memory <size>", "memory in GiB, or a size like 512MiB")
    .option("--disk <size>", "disk size in GiB, or a size like 20GiB")
    .option("--mount <dir[:w]>", "mount a host directory (append :w for writable); repeatable", collect)
    .addOption(new Option("--mount-type <type>", "mount type").choices(["9p", "virtiofs", "reverse-sshfs"]))
    .option("--mount-inotify", "forward host file changes in writable mounts to the guest as inotify events (mountInotify: true)")
    .option("--set <expr>", "modify the template, e.g. --set '.cpus=2'; repeatable", collect);
}

export function overridesFrom(f: CreateFlags): Overrides & { name?: string } {
  return {
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(f.cpus !== undefined ? { cpus: f.cpus } : {}),
    ...(f.memory !== undefined ? { memory: f.memory } : {}),
    ...(f.disk !== undefined ? { disk: f.disk } : {}),
    ...(f.mount ? { mounts: f.mount } : {}),
    ...(f.mountType !== undefined ? { mountType: f.mountType } : {}),
    ...(f.mountInotify === true ? { mountInotify: true } : {}),
    ...(f.set ? { sets: f.set } : {}),
  };
}

export function register(program: Command): void {
  addCreateFlags(
    program
      .command("create")
      .description("create an instance from a file, template:NAME or URL, without starting it")
      .argument("[locator]", "FILE.yaml, template:NAME or URL", "template:default"),
  ).action(async (locator: string, flags: CreateFlags) => {
    const { createInstance } = await import("../index.js");
    const created = await createInstance(locator, overridesFrom(flags));
    for (const w of created.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`created instance ${created.name} in ${created.paths.dir}\n`);
    process.stdout.write(`Run \`tslima start ${created.name}\` to start it.\n`);
  });
}
