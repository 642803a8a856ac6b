import { chmod, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BuildLog } from "./run.js";
import { run } from "./run.js";
import type { BuildSpec } from "./spec.js";
import { guestFiles, type GuestFile } from "./guest-files.js";
import { shellQuote } from "../../proc/quote.js";

/**
 * Kernel module directories a QEMU guest never needs (radios, cameras, sound, exotic buses); removing
 * them saves about 120 MiB. A kernel package upgrade in the guest brings them back.
 */
const UNUSED_MODULE_DIRS = [
  "kernel/drivers/net/wireless",
  "kernel/drivers/media",
  "kernel/drivers/infiniband",
  "kernel/drivers/iio",
  "kernel/drivers/staging",
  "kernel/drivers/comedi",
  "kernel/drivers/bluetooth",
  "kernel/drivers/isdn",
  "kernel/sound",
  "kernel/net/wireless",
  "kernel/net/mac80211",
  "kernel/net/bluetooth",
];

/**
 * debootstrap: a minimal Debian with the spec's packages, into `root` (which must not exist yet). For
 * another arch (`foreign`), debootstrap's first stage unpacks the packages on the host and its second
 * stage configures them inside the tree, where binfmt_misc runs every foreign program through QEMU's
 * user-mode emulator (see binfmt.ts); the later chroot steps run the same way.
 */
export async function bootstrap(log: BuildLog, spec: BuildSpec, root: string, mirror: string, debCache: string, foreign = false) {
  await mkdir(debCache, { recursive: true });
  await run(log, [
    "debootstrap",
    ...(foreign ? ["--foreign"] : []),
    "--variant=minbase",
    `--arch=${spec.debianArch}`,
    "--components=main",
    `--cache-dir=${debCache}`,
    `--include=${spec.packages.join(",")}`,
    spec.suite,
    root,
    mirror,
  ]);
  if (foreign) await run(log, ["chroot", root, "/debootstrap/debootstrap", "--second-stage"]);
}

/**
 * Guest files that must be in place before the packages are configured: with the initramfs
 * configuration there, the kernel's postinst makes the small initramfs (MODULES=list) itself, so the
 * build need not make it again; with dpkg's path excludes, no documentation is unpacked at all.
 */
const BEFORE_PACKAGES = ["/etc/initramfs-tools/conf.d/tslima", "/etc/initramfs-tools/modules", "/etc/dpkg/dpkg.cfg.d/tslima-nodoc"];

/** dpkg options for the mmdebstrap run only: no fsync per file, and keep the guest files written before the packages. */
const MMDEBSTRAP_DPKG_CONF = "/etc/dpkg/dpkg.cfg.d/99mmdebstrap";

/**
 * mmdebstrap: the same minimal Debian as bootstrap(), into `root` (which must not exist yet). apt
 * resolves and downloads on the host and installs everything in one dpkg run; for another arch dpkg,
 * the maintainer scripts (and the chroot steps after) run through QEMU's user-mode emulator
 * (binfmt_misc, see binfmt.ts), but not debootstrap's shell logic package by package. The packages
 * are kept in `debCache` (hard links in and out of the tree's apt cache). The essential hook writes
 * BEFORE_PACKAGES before the remaining packages are installed.
 */
export async function mmdebstrap(log: BuildLog, spec: BuildSpec, root: string, mirror: string, debCache: string, stage: string) {
  await mkdir(debCache, { recursive: true });
  await writeFiles(stage, pick(guestFiles({ mirror, suite: spec.suite }), BEFORE_PACKAGES));
  const archives = `"$1/var/cache/apt/archives"`;
  const cache = shellQuote(debCache, { always: true });
  await run(log, [
    "mmdebstrap",
    "--mode=root",
    "--variant=minbase",
    `--arch=${spec.debianArch}`,
    "--components=main",
    `--include=${spec.packages.join(",")}`,
    "--dpkgopt=force-unsafe-io",
    "--dpkgopt=force-confold",
    "--skip=essential/unlink",
    // The cache is only a shortcut: a package that cannot be linked is downloaded again.
    `--setup-hook=mkdir -p ${archives} && { cp -l -t ${archives} ${cache}/*_${spec.debianArch}.deb ${cache}/*_all.deb 2>/dev/null || true; }`,
    `--essential-hook=cp -a ${shellQuote(stage, { always: true })}/. "$1/"`,
    `--customize-hook=cp -n -l -t ${cache} "$1"/var/cache/apt/archives/*.deb 2>/dev/null || true`,
    spec.suite,
    root,
    mirror,
  ]);
  await rm(join(root, MMDEBSTRAP_DPKG_CONF), { force: true });
}

function pick(files: Record<string, GuestFile>, paths: readonly string[]): Record<string, GuestFile> {
  return Object.fromEntries(paths.map((p) => [p, files[p]!]));
}

async function writeFiles(root: string, files: Record<string, GuestFile>): Promise<void> {
  for (const [path, file] of Object.entries(files)) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    if (file.mode !== undefined) await chmod(target, file.mode);
  }
}

/** Makes the bootstrapped tree a bootable, first-boot-clean guest (see guest-files.ts for the why). */
export async function configureGuest(log: BuildLog, spec: BuildSpec, root: string, mirror: string): Promise<void> {
  await writeFiles(root, guestFiles({ mirror, suite: spec.suite }));
  await mkdir(join(root, "boot/efi"), { recursive: true });

  await run(log, ["chroot", root, "locale-gen"]);
  await run(log, [
    "chroot",
    root,
    "systemctl",
    "enable",
    "systemd-networkd.service",
    "systemd-resolved.service",
    "tslima-ssh-keygen.service",
  ]);

  for (const version of await readdir(join(root, "usr/lib/modules"))) {
    for (const d of UNUSED_MODULE_DIRS) await rm(join(root, "usr/lib/modules", version, d), { recursive: true, force: true });
    await run(log, ["chroot", root, "depmod", "-a", version]);
  }
  // mmdebstrap wrote the initramfs configuration before the kernel's postinst made the initramfs: it is
  // final already (the module directories removed above are not in a MODULES=list initramfs anyway).
  if (spec.bootstrapper === "debootstrap") await run(log, ["chroot", root, "update-initramfs", "-u", "-k", "all"]);
}

/** Removes caches and per-machine identity, so the image is small and every VM made from it unique. */
export async function cleanGuest(log: BuildLog, root: string): Promise<void> {
  await run(log, ["chroot", root, "apt-get", "clean"]);
  await emptyDir(join(root, "var/lib/apt/lists"), (n) => n !== "lock" && n !== "partial");
  await emptyDir(join(root, "usr/share/man"));
  await emptyDir(join(root, "usr/share/info"));
  // Documentation goes, the copyright files stay.
  for (const pkg of await readdir(join(root, "usr/share/doc")).catch(() => [] as string[])) {
    await emptyDir(join(root, "usr/share/doc", pkg), (n) => n !== "copyright");
  }
  // A fresh machine id and fresh SSH host keys on first boot (systemd, cloud-init / ssh-keygen -A).
  await writeFile(join(root, "etc/machine-id"), "");
  await rm(join(root, "var/lib/dbus/machine-id"), { force: true });
  for (const name of await readdir(join(root, "etc/ssh"))) {
    if (name.startsWith("ssh_host_")) await rm(join(root, "etc/ssh", name), { force: true });
  }
  await emptyDir(join(root, "var/log"), () => true, true);
  await emptyDir(join(root, "tmp"));
}

/** Deletes the entries of `dir` that `remove` picks; with `filesOnly`, truncates files (also in subdirectories) instead. */
async function emptyDir(dir: string, remove: (name: string) => boolean = () => true, filesOnly = false): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!remove(name)) continue;
    const p = join(dir, name);
    if (filesOnly) {
      const entries = await readdir(p).catch(() => undefined);
      if (entries === undefined) await writeFile(p, "");
      else await emptyDir(p, remove, true);
    } else {
      await rm(p, { recursive: true, force: true });
    }
  }
}
