import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { displayOf, vncDisplayArg, wantsTpm, type Display } from "../config/video.js";
import type { Config } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import { checkSocketPath } from "./options.js";
import { qemuOptValue as optValue } from "../mounts/driver.js";

/** Lima's names in the instance directory: the VNC display and password (0600), swtpm's socket and state. */
export function deviceFiles(paths: Pick<InstancePaths, "dir">) {
  return {
    vncDisplay: join(paths.dir, "vncdisplay"),
    vncPassword: join(paths.dir, "vncpassword"),
    swtpmSock: join(paths.dir, "swtpm.sock"),
    swtpmState: join(paths.dir, "swtpm"),
  };
}

/** The config's display; an unreadable video.vnc.display (validation refuses it first) is a TslimaError. Pure. */
export function displayPlan(config: Config): Display {
  try {
    return displayOf(config);
  } catch (e) {
    throw new TslimaError("CONFIG_INVALID", `video.vnc.display: ${(e as Error).message}`, { hint: 'set video.vnc.display in lima.yaml to e.g. "127.0.0.1:0,to=9"' });
  }
}

/**
 * The display: none, or Lima's VNC setup: QEMU's VNC server (loopback only, password on) with a GPU
 * (virtio-vga on x86_64, which also shows the firmware's and the kernel's text console; virtio-gpu on
 * aarch64), a keyboard and a tablet (absolute pointer: no second cursor in the viewer). Pure.
 */
export function displayArgs(config: Config): string[] {
  const d = displayPlan(config);
  if (d.kind === "none") return ["-display", "none", "-vga", "none"];
  return [
    "-display", vncDisplayArg(d.vnc),
    "-vga", "none",
    "-device", config.arch === "x86_64" ? "virtio-vga" : "virtio-gpu-pci",
    "-device", "virtio-keyboard-pci",
    "-device", "virtio-tablet-pci",
  ];
}

/**
 * `tpm: true`: a TPM 2.0 emulated by swtpm, which the host agent starts before QEMU on the
 * instance's swtpm.sock; Lima's device per arch: tpm-crb on x86_64, tpm-tis-device on aarch64. Pure.
 */
export function tpmArgs(config: Config, paths: InstancePaths): string[] {
  if (!wantsTpm(config)) return [];
  const { swtpmSock } = deviceFiles(paths);
  checkSocketPath(swtpmSock, "swtpm socket");
  return [
    "-chardev", `socket,id=chrtpm,path=${optValue(swtpmSock)}`,
    "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
    "-device", `${config.arch === "x86_64" ? "tpm-crb" : "tpm-tis-device"},tpmdev=tpm0`,
  ];
}

/** swtpm's command line (Lima's): TPM 2.0, state in the instance directory, ending when QEMU disconnects. Pure. */
export function swtpmArgs(paths: InstancePaths): string[] {
  const f = deviceFiles(paths);
  return ["socket", "--tpmstate", `dir=${f.swtpmState}`, "--ctrl", `type=unixio,path=${f.swtpmSock}`, "--tpm2", "--terminate", "--log", "level=1"];
}
