import { Command, InvalidArgumentError, Option } from "commander";
import type { CreateRequest } from "../internal.js";
import { requestFrom, type CreateFlags } from "./overrides.js";
import { info, limaWords } from "./log.js";

export type { CreateFlags } from "./overrides.js";

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

/** The flags `create`, `start` and `edit` share (Lima's): flags, help, and the parser of a value. */
const CREATE_FLAGS: Array<[string, string, ((value: string, previous: never) => unknown)?]> = [
  ["--name <name>", "instance name (default: from the file or template name)"],
  ["--cpus <n>", "number of CPUs", cpuCount],
  ["--memory <size>", "memory in GiB, or a size like 512MiB"],
  ["--disk <size>", "disk size in GiB, or a size like 20GiB"],
  ["--mount <dir[:w]>", "mount a host directory (append :w for writable); repeatable", collect],
  ["--mount-only <dir[:w]>", "like --mount, but replaces the template's mounts; repeatable", collectList],
  ["--mount-none", "remove all mounts"],
  ["--mount-writable", "make all mounts writable"],
  ["--mount-inotify", "forward host file changes in writable mounts to the guest as inotify events (mountInotify: true)"],
  ["--mount-type <type>", "mount type"],
  ["--param <name=value>", "set a template parameter the template defines; repeatable", collect],
  ["--port-forward <host:guest>", "forward a port, e.g. 8080:80 or 8080:80,static=true; repeatable", collect],
  ["--plain", "plain mode: no mounts, port forwards or containerd"],
  ["--dns <ip>", "DNS server addresses; repeatable or comma-separated", collectList],
  ["--arch <arch>", "machine architecture (x86_64, aarch64, riscv64, armv7l, s390x, ppc64le)"],
  ["--vm-type <type>", "virtual machine type (only qemu)"],
  ["--ssh-port <port>", "the host port of ssh (0: any free port)", port],
  ["--network <net>", "join a network of networks.yaml, e.g. lima:user-v2 (tslima runs user-v2 networks; see `network list`); repeatable or comma-separated", collectList],
  ["--containerd <mode>", "containerd mode: user, system, user+system or none"],
  ["--video", "enable video output (video.display: default; tslima's guests have no display yet: warned about)"],
  ["--nested-virt", "enable nested virtualization (nestedVirtualization: true)"],
  ["--audio-device <device>", "audio device backend (audio.device)"],
  ["--audio-interface <interface>", "audio virtual hardware interface, hda or virtio (audio.interface)"],
  ["--image-variant <variant>", "keep only the template's images of this variant (images[].variant)"],
  ["--arch-variant <variant>", "keep only the template's images of this architecture variant, e.g. v3 (images[].archVariant)"],
  ["--shell <path>", "the user's login shell in the guest, e.g. /bin/zsh (user.shell)"],
  ["--set <expr>", "modify the template with a yq-style expression, e.g. '.cpus = 2', '.mounts += [{\"location\": \"~/src\"}]'; repeatable", collect],
  ["--list-templates", "list the templates and exit"],
  ["--list-drivers", "list the VM drivers (qemu) and exit"],
];

/** Adds CREATE_FLAGS to a command. */
export function addCreateFlags(cmd: Command): Command {
  for (const [flags, help, parse] of CREATE_FLAGS) {
    const option = new Option(flags, help);
    if (parse !== undefined) option.argParser(parse as (value: string, previous: unknown) => unknown);
    if (flags.startsWith("--mount-type ")) option.choices(["9p", "virtiofs", "reverse-sshfs"]);
    cmd.addOption(option);
  }
  return cmd;
}

/** `--list-templates` / `--list-drivers`: prints the template names (as `tslima template list`) or the drivers; true when it did. */
export async function listTemplatesFlag(f: CreateFlags): Promise<boolean> {
  if (f.listDrivers === true && f.listTemplates !== true) {
    process.stdout.write("qemu\n");
    return true;
  }
  if (!f.listTemplates) return false;
  const { listTemplates, templateSearchDirs } = await import("../internal.js");
  for (const t of listTemplates(templateSearchDirs())) process.stdout.write(`${t.name}\n`);
  return true;
}

/** The flags as the library's request (src/cli/overrides.ts), resolved against this process's cwd. */
export async function createRequest(f: CreateFlags): Promise<CreateRequest> {
  const { trySize } = await import("../internal.js");
  return requestFrom(f, process.cwd(), (s) => trySize(s) !== undefined);
}

export function register(program: Command): void {
  addCreateFlags(
    program
      .command("create")
      .description("create an instance from a file, template:NAME or URL, without starting it")
      .argument("[locator]", "FILE.yaml, template:NAME, URL, or - (the template on stdin, with --name)", "template:default"),
  ).action(async (locator: string, flags: CreateFlags) => {
    if (await listTemplatesFlag(flags)) return;
    const { createRequested } = await import("../internal.js");
    const created = await createRequested(locator, await createRequest(flags));
    for (const w of created.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`created instance ${created.name} in ${created.paths.dir}\n`);
    // Lima logs this line (info); tslima prints it on stdout
    if (limaWords()) info(`Run \`${program.name()} start ${created.name}\` to start the instance.`);
    else process.stdout.write(`Run \`${program.name()} start ${created.name}\` to start it.\n`);
  });
}
