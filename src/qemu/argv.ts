import { TslimaError } from "../errors.js";
import type { Config } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import type { Accel, QemuNic, QemuPlan } from "./types.js";
import { checkSocketPath, cpuModel, macAddress, memoryMiB } from "./options.js";
import { qemuOptValue as optValue } from "../mounts/driver.js";
import { shellQuote } from "../proc/quote.js";
import { diskDriveArgs } from "../disks/plan.js";
import { displayArgs, tpmArgs } from "./devices.js";
import { audioPlan } from "./audio.js";

/** Lima's user-mode network: guest 192.168.5.15, host loopback 192.168.5.2, DNS 192.168.5.3. */
export const USER_NET = "192.168.5.0/24";
export const USER_NET_DHCP_START = "192.168.5.15";

/**
 * Translation cache for TCG in MiB (QEMU's default of 1GiB is a lot next to a 1GiB guest). QEMU
 * fills it and starts again from its start when it is full, never giving pages back: a VM that runs
 * long enough holds all of it. A cold boot translates the whole boot (firmware, kernel, cloud-init)
 * and keeps 512 MiB; a VM resumed from a saved state (a suspend, or a booted snapshot: the clones
 * that run many at once) runs with TCG_TB_SIZE_RESUME_MIB (issue 30: scripts/bench/density).
 */
export const TCG_TB_SIZE_MIB = 512;
export const TCG_TB_SIZE_RESUME_MIB = 64;

function machineArgs(config: Config, accel: Accel): string[] {
  const tcg = ["-accel", `tcg,thread=multi,tb-size=${TCG_TB_SIZE_MIB}`];
  switch (config.arch) {
    case "x86_64":
      return accel === "tcg" ? ["-machine", "q35", ...tcg] : ["-machine", `q35,accel=${accel}`];
    case "aarch64": {
      // GIC: the host's under kvm, QEMU's emulated GICv3 under hvf, the newest QEMU emulates under tcg.
      const gic = accel === "kvm" ? "host" : accel === "hvf" ? "3" : "max";
      return accel === "tcg"
        ? ["-machine", `virt,gic-version=${gic}`, ...tcg]
        : ["-machine", `virt,accel=${accel},gic-version=${gic}`];
    }
    default:
      throw new TslimaError("ARCH_UNSUPPORTED", `arch ${config.arch} is not supported by tslima's QEMU driver`, {
        hint: "set arch to x86_64 or aarch64 in lima.yaml",
      });
  }
}

function cpuArgs(config: Config, accel: Accel): string[] {
  const n = config.cpus;
  return ["-cpu", cpuModel(config, accel), "-smp", `${n},sockets=1,cores=${n},threads=1`, "-m", String(memoryMiB(config.memory))];
}

/**
 * Direct kernel boot when the image has a kernel, else UEFI (or SeaBIOS with firmware.legacyBIOS on x86_64):
 * QEMU's code with the instance's variable store, or a firmware.images code image alone (as Lima).
 */
function bootArgs(config: Config, paths: InstancePaths, plan: QemuPlan): string[] {
  const { image } = plan;
  if (image.kernel !== undefined) {
    const args = ["-kernel", image.kernel];
    if (image.initrd !== undefined) args.push("-initrd", image.initrd);
    if (image.cmdline !== undefined && image.cmdline !== "") args.push("-append", image.cmdline);
    return args;
  }
  if (config.firmware.legacyBIOS && config.arch === "x86_64") return [];
  const fw = plan.qemu.firmware;
  if (fw === undefined) {
    throw new TslimaError("FIRMWARE_MISSING", `no UEFI firmware found for ${config.arch} guests`, {
      hint:
        config.arch === "x86_64"
          ? "install it (Debian: apt-get install ovmf; macOS: brew install qemu), or set firmware.legacyBIOS: true in lima.yaml"
          : "install it (Debian: apt-get install qemu-efi-aarch64; macOS: brew install qemu)",
    });
  }
  const code = ["-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${optValue(fw.code)}`];
  if (fw.codeOnly === true) return code;
  return [...code, "-drive", `if=pflash,format=raw,unit=1,file=${optValue(paths.efiVars)}`];
}

function diskArgs(paths: InstancePaths): string[] {
  return [
    "-drive", `file=${optValue(paths.diffdisk)},if=none,id=disk0,format=qcow2,discard=unmap,detect-zeroes=unmap,cache=writeback`,
    "-device", "virtio-blk-pci,drive=disk0,bootindex=1",
    // cidata: a read-only virtio disk holding the ISO9660 image; cloud-init finds it by its label.
    "-drive", `file=${optValue(paths.cidataIso)},if=none,id=cidata,format=raw,readonly=on`,
    "-device", "virtio-blk-pci,drive=cidata",
  ];
}

function networkArgs(paths: InstancePaths, sshPort: number): string[] {
  if (!Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65535) {
    throw new TslimaError("SSH_PORT", `ssh port ${sshPort} is not a TCP port`, {
      hint: "set ssh.localPort to 0 (any free port) or to a port between 1024 and 65535 in lima.yaml",
    });
  }
  return [
    "-netdev", `user,id=net0,net=${USER_NET},dhcpstart=${USER_NET_DHCP_START},hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    "-device", `virtio-net-pci,netdev=net0,mac=${macAddress(paths.name)}`,
    "-device", "virtio-rng-pci",
  ];
}

/**
 * NICs on Lima user-v2 networks: QEMU listens on a unix socket in the instance directory and the
 * network's switch daemon connects to it (QEMU accepts again after the switch goes away, so a
 * switch started again reconnects to running VMs). Each NIC sits at a fixed PCI slot, by which the
 * guest names it.
 */
function userNetworkArgs(nics: readonly QemuNic[]): string[] {
  return nics.flatMap((n, i) => {
    checkSocketPath(n.socket, "network socket");
    return [
      "-netdev", `stream,id=net${i + 1},server=on,addr.type=unix,addr.path=${optValue(n.socket)}`,
      "-device", `virtio-net-pci,netdev=net${i + 1},mac=${n.mac},addr=0x${n.slot.toString(16)}`,
    ];
  });
}

/**
 * Memory given back (issue 30): a virtio balloon that never inflates, with free page reporting: the
 * guest kernel reports pages it has freed (in 2 MiB blocks, a few seconds later) and QEMU discards
 * them, so the host's memory follows what the guest uses rather than what it once touched.
 */
function memoryReportingArgs(): string[] {
  return ["-device", "virtio-balloon-pci,free-page-reporting=on"];
}

/**
 * The VM generation id device (x86_64: QEMU 7.2 has none for aarch64's virt machine): the guest
 * kernel's vmgenid driver reseeds its random number generator when the id changes, as it does when
 * an instance made from a booted snapshot restores the snapshot's memory with an id of its own
 * (QEMU writes the incoming side's guid into the guest and notifies it after loading the state).
 * `plan.vmgenid` is a UUID (hostagent/reidentify.ts ensureVmGenId).
 */
function identityArgs(config: Config, plan: QemuPlan): string[] {
  if (plan.vmgenid === undefined || config.arch !== "x86_64") return [];
  return ["-device", `vmgenid,guid=${plan.vmgenid}`];
}

/** No default devices, the display of video.display (devices.ts); the first serial port goes to serial.log, QMP to qmp.sock. */
function consoleArgs(config: Config, paths: InstancePaths): string[] {
  checkSocketPath(paths.qmpSock, "QMP socket");
  return [
    "-nodefaults",
    ...displayArgs(config),
    "-chardev", `file,id=serial0,path=${optValue(paths.serialLog)}`,
    "-serial", "chardev:serial0",
    "-chardev", `socket,id=qmp0,path=${optValue(paths.qmpSock)},server=on,wait=off`,
    "-mon", "chardev=qmp0,mode=control",
    "-pidfile", paths.qemuPid,
  ];
}

/**
 * The complete QEMU command line (without the binary) for one instance. Pure: everything it needs is
 * passed in, and the order is stable so that golden files can pin it.
 */
export function qemuArgv(config: Config, paths: InstancePaths, plan: QemuPlan): string[] {
  const accel = plan.qemu.accel;
  return [
    "-name", optValue(`tslima-${paths.name}`),
    ...machineArgs(config, accel),
    ...cpuArgs(config, accel),
    ...bootArgs(config, paths, plan),
    ...diskArgs(paths),
    ...diskDriveArgs(plan.disks ?? []),
    ...networkArgs(paths, plan.sshPort),
    ...userNetworkArgs(plan.networks ?? []),
    ...identityArgs(config, plan),
    ...memoryReportingArgs(),
    ...tpmArgs(config, paths),
    ...audioPlan(config, plan.qemu, plan.host.os, paths).args,
    ...consoleArgs(config, paths),
    ...plan.mounts.qemuArgs,
    ...plan.mounts.mounts.flatMap((m) => m.qemuArgs),
  ];
}

/**
 * A boot's command line made to receive a saved state instead of booting: `-incoming defer` (QEMU
 * waits for QMP migrate-incoming), and the smaller TCG translation cache of a resumed VM
 * (TCG_TB_SIZE_RESUME_MIB). Everything else stays exactly the boot's. Pure.
 */
export function incomingArgv(argv: string[]): string[] {
  return [...argv.map((a) => a.replace(TB_SIZE, `$1${TCG_TB_SIZE_RESUME_MIB}`)), "-incoming", "defer"];
}

const SSH_HOSTFWD = /(hostfwd=tcp:127\.0\.0\.1:)\d+(-:22)/;
const VMGENID = /^(vmgenid,guid=)[^,]*/;
const NIC_MAC = /(^virtio-net-pci,.*\bmac=)[0-9a-fA-F:]+/;
const TB_SIZE = /^(tcg,.*\btb-size=)\d+/;

/** Whose command line it is: what hardwareArgv() blanks so that another instance's argv compares equal. */
export interface ArgvOwner {
  /** The instance directory (every path under it: disks, sockets, logs). */
  dir: string;
  name: string;
}

/**
 * The part of a command line a saved state depends on: the argv without `-incoming`, with the
 * host port of ssh's forward and TCG's translation cache size blanked (host-side details a restore
 * may change), the kernel
 * command line blanked (read only when the guest boots: a light or full cloud-init choice made
 * after the suspend must not refuse the resume), and what names the owning instance blanked (its
 * directory in paths, its name, its NICs' MAC addresses, its VM generation id): an instance made from a
 * booted snapshot runs the snapshot's machine under its own name, directory and identity. Two command lines whose hardwareArgv() are
 * equal run the same virtual machine. Pure.
 */
export function hardwareArgv(argv: string[], owner: ArgvOwner): string[] {
  const out: string[] = [];
  const mac = `mac=${macAddress(owner.name)}`;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-incoming") {
      i++;
      continue;
    }
    if (argv[i] === "-append") {
      out.push("-append", "CMDLINE");
      i++;
      continue;
    }
    if (argv[i] === "-name") {
      out.push("-name", "NAME");
      i++;
      continue;
    }
    out.push(
      argv[i]!
        .replace(SSH_HOSTFWD, "$1PORT$2")
        .replace(VMGENID, "$1GUID")
        .replace(NIC_MAC, "$1MAC")
        .replace(TB_SIZE, "$1N")
        .split(optValue(owner.dir)).join("INSTANCE_DIR")
        .split(owner.dir).join("INSTANCE_DIR")
        .split(mac).join("mac=MAC"),
    );
  }
  return out;
}

/** QMP migrate URI that writes the state (the guest's RAM) to `file`, mode 0600 (QEMU runs it with /bin/sh -c). Pure. */
export function saveStateUri(file: string): string {
  return `exec:umask 077 && cat > ${shellQuote(file)}`;
}

/** QMP migrate-incoming URI that reads the state from `file`. Pure. */
export function loadStateUri(file: string): string {
  return `exec:cat ${shellQuote(file)}`;
}
