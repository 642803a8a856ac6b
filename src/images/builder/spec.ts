import { createHash } from "node:crypto";
import type { Arch } from "../../config/types.js";
import { TslimaError } from "../../errors.js";

/**
 * Bumped whenever the build steps change what ends up in the image, so that cached builds made by an
 * older builder are not reused.
 */
export const BUILDER_VERSION = 2;

/** The file-system label of the guest's root partition; the kernel finds its root by it. */
export const ROOT_LABEL = "tslima-root";
/** The FAT label of the EFI system partition. */
export const ESP_LABEL = "TSLIMA-ESP";

/** Distributions tslima can build. The key is what `tslima image build NAME` and `build:NAME` take. */
const distros: Record<string, { suite: string; kernelPackage: Record<string, string> }> = {
  "debian-12": { suite: "bookworm", kernelPackage: { x86_64: "linux-image-amd64", aarch64: "linux-image-arm64" } },
};

/**
 * Variants: a distribution with packages preinstalled, under a name of its own (`build:debian-12-docker`,
 * `tslima image build debian-12-docker`). A variant is the same build as its distribution with those
 * `--package`s (same key, same cache directory). A start builds a missing one as it builds a
 * distribution, but one this user cannot build (not root) ends the start with the command that builds
 * it instead of going on to the next image (see resolve.ts).
 */
export const VARIANTS: Record<string, { distro: string; packages: readonly string[] }> = {
  // docker.io pulls containerd, runc, tini and iptables; apparmor: Debian's kernel enables AppArmor and
  // dockerd refuses to start containers without apparmor_parser (a recommend debootstrap does not install).
  // Rootless Docker (template:docker; template:docker-rootful boots the same image): rootlesskit runs
  // dockerd in a user namespace, slirp4netns gives that namespace its network, uidmap's newuidmap and
  // newgidmap map the user's /etc/subuid ranges, dbus-user-session lets the user's systemd (the user
  // service docker.service) and the cgroup v2 delegation work. No fuse-overlayfs: Debian 12's kernel
  // (6.1) mounts overlayfs inside user namespaces, so rootless dockerd uses overlay2.
  "debian-12-docker": { distro: "debian-12", packages: ["docker.io", "apparmor", "rootlesskit", "slirp4netns", "uidmap", "dbus-user-session"] },
};

/** Pure: whether `name` is a variant (a start that cannot build it refuses, see resolve.ts). */
export function isVariant(name: string): boolean {
  return Object.hasOwn(VARIANTS, name);
}

/**
 * The program that bootstraps each arch's root file system. aarch64 uses mmdebstrap: on an x86_64 host
 * it resolves and downloads with the host's apt and installs in one dpkg run (dpkg and the maintainer
 * scripts run under QEMU's user-mode emulator); debootstrap's second stage ran its own shell logic
 * and dpkg under emulation package by package (over an hour on 2 cores, unfinished). mmdebstrap also
 * runs hooks, so the initramfs configuration is in place before the kernel's postinst makes the
 * initramfs (once, small). x86_64 keeps debootstrap, so its cached builds stay valid.
 */
export type Bootstrapper = "debootstrap" | "mmdebstrap";
const bootstrappers: Partial<Record<Arch, Bootstrapper>> = { x86_64: "debootstrap", aarch64: "mmdebstrap" };

/** Debian's names for tslima's architectures. */
const debianArch: Partial<Record<Arch, string>> = { x86_64: "amd64", aarch64: "arm64" };
/** systemd-boot's EFI binary and the removable-media boot path UEFI firmware looks for, per arch. */
const efiNames: Partial<Record<Arch, { systemdBoot: string; removable: string }>> = {
  x86_64: { systemdBoot: "systemd-bootx64.efi", removable: "BOOTX64.EFI" },
  aarch64: { systemdBoot: "systemd-bootaa64.efi", removable: "BOOTAA64.EFI" },
};

/**
 * Packages every tslima guest has besides debootstrap's minimal base. Notes:
 * - the generic kernel (added per arch), because the cloud kernel has no 9p;
 * - python3-cffi-backend: cloud-init needs it, and debootstrap's resolver misses it (virtual package);
 * - locales: cloud-init's locale module fails without it;
 * - systemd-boot-efi: its EFI binary boots the disk through UEFI firmware;
 * - cloud-guest-utils + fdisk: cloud-init's growpart grows the root partition to the disk size.
 */
export const BASE_PACKAGES: readonly string[] = [
  "initramfs-tools",
  "systemd",
  "systemd-sysv",
  "systemd-resolved",
  "udev",
  "dbus",
  "cloud-init",
  "python3-cffi-backend",
  "locales",
  "openssh-server",
  "openssh-sftp-server",
  "sudo",
  "sshfs",
  "fio",
  "ca-certificates",
  "iproute2",
  "procps",
  "systemd-boot-efi",
  "cloud-guest-utils",
  "fdisk",
];

export interface BuildSpec {
  /** The distribution: "debian-12" (also for a variant such as "debian-12-docker"). */
  name: string;
  suite: string;
  arch: Arch;
  debianArch: string;
  /** Everything passed to debootstrap --include, sorted and deduplicated. */
  packages: string[];
  bootstrapper: Bootstrapper;
  efi: { systemdBoot: string; removable: string };
  /** Directory name under the build cache: NAME-ARCH-KEY. */
  dirName: string;
  key: string;
}

const packageName = /^[a-z0-9][a-z0-9+.-]+$/;

/** Pure: validates the inputs of a build and computes its cache key. */
export function buildSpec(asked: string, arch: Arch, morePackages: readonly string[] = []): BuildSpec {
  const variant = Object.hasOwn(VARIANTS, asked) ? VARIANTS[asked] : undefined;
  const name = variant?.distro ?? asked;
  const extraPackages = [...(variant?.packages ?? []), ...morePackages];
  const distro = Object.hasOwn(distros, name) ? distros[name] : undefined;
  if (!distro) {
    throw new TslimaError("IMAGE_BUILD_UNKNOWN", `tslima cannot build an image named "${asked}"`, {
      hint: `known names: ${[...Object.keys(distros), ...Object.keys(VARIANTS)].join(", ")} (e.g. \`tslima image build debian-12\`)`,
    });
  }
  const kernel = distro.kernelPackage[arch];
  const dArch = debianArch[arch];
  const efi = efiNames[arch];
  if (!kernel || !dArch || !efi) {
    throw new TslimaError("IMAGE_BUILD_ARCH", `tslima cannot build ${name} for ${arch}`, {
      hint: `use --arch ${Object.keys(distro.kernelPackage).join(" or --arch ")}`,
    });
  }
  for (const p of extraPackages) {
    if (!packageName.test(p)) {
      throw new TslimaError("IMAGE_BUILD_PACKAGE", `"${p}" is not a Debian package name`, {
        hint: "--package takes one package name per flag, e.g. --package docker.io --package jq",
      });
    }
  }
  const packages = [...new Set([kernel, ...BASE_PACKAGES, ...extraPackages])].sort();
  const bootstrapper = bootstrappers[arch] ?? "debootstrap";
  // debootstrap builds predate the field: it is hashed only for another bootstrapper, so their keys stay.
  const how = bootstrapper === "debootstrap" ? {} : { bootstrapper };
  const key = createHash("sha256")
    .update(JSON.stringify({ builder: BUILDER_VERSION, name, suite: distro.suite, arch, packages, ...how }))
    .digest("hex")
    .slice(0, 12);
  return {
    name,
    suite: distro.suite,
    arch,
    debianArch: dArch,
    packages,
    bootstrapper,
    efi,
    dirName: `${name}-${arch}-${key}`,
    key,
  };
}

/** The serial console device of QEMU's machine per guest arch (PC: 16550 UART; `virt`: PL011). */
const serialConsole: Partial<Record<Arch, string>> = { x86_64: "ttyS0", aarch64: "ttyAMA0" };

/** The kernel command line for direct kernel boot and for the boot loader entry. */
export function guestCmdline(arch: Arch = "x86_64"): string {
  return `root=LABEL=${ROOT_LABEL} ro console=tty0 console=${serialConsole[arch] ?? "ttyS0"},115200n8`;
}
