import { Command, InvalidArgumentError, Option } from "commander";
import type { Overrides } from "../index.js";

export interface CreateFlags {
  name?: string;
  cpus?: number;
  memory?: string;
  disk?: string;
  mount?: string[];
  mountType?: string;
  mountOnly?: string[];
  mountNone?: boolean;
  mountWritable?: boolean;
  mountInotify?: boolean;
  param?: string[];
  portForward?: string[];
  plain?: boolean;
  dns?: string[];
  arch?: string;
  vmType?: string;
  sshPort?: number;
  network?: string[];
  containerd?: string;
  set?: string[];
  listTemplates?: boolean;
  listDrivers?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
/** Lima's slice flags: repeatable, and comma-separated values split. */
const collectList = (v: string, prev: string[] = []) => [...prev, ...v.split(",").map((s) => s.trim()).filter((s) => s !== "")];

function port(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) > 65535) throw new InvalidArgumentError("must be a TCP port (0 for any free port).");
  return Number(v);
}

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
    .option("--mount-only <dir[:w]>", "like --mount, but replaces the template's mounts; repeatable", collectList)
    .option("--mount-none", "remove all mounts")
    .option("--mount-writable", "make all mounts writable")
    .option("--mount-inotify", "forward host file changes in writable mounts to the guest as inotify events (mountInotify: true)")
    .addOption(new Option("--mount-type <type>", "mount type").choices(["9p", "virtiofs", "reverse-sshfs"]))
    .option("--param <name=value>", "set a template parameter the template defines; repeatable", collect)
    .option("--port-forward <host:guest>", "forward a port, e.g. 8080:80 or 8080:80,static=true; repeatable", collect)
    .option("--plain", "plain mode: no mounts, port forwards or containerd")
    .option("--dns <ip>", "DNS server addresses; repeatable or comma-separated", collectList)
    .option("--arch <arch>", "machine architecture (x86_64, aarch64, riscv64, armv7l, s390x, ppc64le)")
    .option("--vm-type <type>", "virtual machine type (only qemu)")
    .option("--ssh-port <port>", "the host port of ssh (0: any free port)", port)
    .option("--network <net>", "(not supported) additional networks such as lima:shared or vzNAT", collectList)
    .option("--containerd <mode>", "containerd mode: only none (tslima does not install containerd)")
    .option("--set <expr>", "modify the template with a yq-style expression, e.g. '.cpus = 2', '.mounts += [{\"location\": \"~/src\"}]'; repeatable", collect)
    .option("--list-templates", "list the templates and exit")
    .option("--list-drivers", "list the VM drivers (qemu) and exit");
}

/** `--list-templates` / `--list-drivers`: prints the template names (as `tslima template list`) or the drivers; true when it did. */
export async function listTemplatesFlag(f: CreateFlags): Promise<boolean> {
  if (f.listDrivers === true && f.listTemplates !== true) {
    process.stdout.write("qemu\n");
    return true;
  }
  if (!f.listTemplates) return false;
  const { listTemplates, templateSearchDirs } = await import("../index.js");
  for (const t of listTemplates(templateSearchDirs())) process.stdout.write(`${t.name}\n`);
  return true;
}

export function overridesFrom(f: CreateFlags): Overrides & { name?: string } {
  return {
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(f.cpus !== undefined ? { cpus: f.cpus } : {}),
    ...(f.memory !== undefined ? { memory: f.memory } : {}),
    ...(f.disk !== undefined ? { disk: f.disk } : {}),
    ...(f.mount ? { mounts: f.mount } : {}),
    ...(f.mountType !== undefined ? { mountType: f.mountType } : {}),
    ...(f.mountOnly ? { mountOnly: f.mountOnly } : {}),
    ...(f.mountNone ? { mountNone: true } : {}),
    ...(f.mountWritable ? { mountWritable: true } : {}),
    ...(f.mountInotify ? { mountInotify: true } : {}),
    ...(f.param ? { params: f.param } : {}),
    ...(f.portForward ? { portForwards: f.portForward } : {}),
    ...(f.plain ? { plain: true } : {}),
    ...(f.dns ? { dns: f.dns } : {}),
    ...(f.arch !== undefined ? { arch: f.arch } : {}),
    ...(f.vmType !== undefined ? { vmType: f.vmType } : {}),
    ...(f.sshPort !== undefined ? { sshPort: f.sshPort } : {}),
    ...(f.network ? { networks: f.network } : {}),
    ...(f.containerd !== undefined ? { containerd: f.containerd } : {}),
    ...(f.set ? { sets: f.set } : {}),
  };
}

export function register(program: Command): void {
  addCreateFlags(
    program
      .command("create")
      .description("create an instance from a file, template:NAME or URL, without starting it")
      .argument("[locator]", "FILE.yaml, template:NAME, URL, or - (the template on stdin, with --name)", "template:default"),
  ).action(async (locator: string, flags: CreateFlags) => {
    if (await listTemplatesFlag(flags)) return;
    const { createInstance } = await import("../index.js");
    const created = await createInstance(locator, overridesFrom(flags));
    for (const w of created.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`created instance ${created.name} in ${created.paths.dir}\n`);
    process.stdout.write(`Run \`tslima start ${created.name}\` to start it.\n`);
  });
}
