import type { Arch } from "../../config/types.js";
import { ESP_LABEL, ROOT_LABEL, guestCmdline } from "./spec.js";

export interface GuestFile {
  content: string;
  mode?: number;
}

export const GUEST_HOSTNAME = "tslima";

/** Modules in the initramfs: virtio/SCSI/SATA/NVMe disks, ext4; 9p and virtiofs for early mounts. */
export const INITRAMFS_MODULES = [
  "virtio_pci",
  "virtio_blk",
  "virtio_scsi",
  "virtio_net",
  "virtio_console",
  "sd_mod",
  "sr_mod",
  "ahci",
  "ata_piix",
  "nvme",
  "ext4",
  "crc32c_generic",
  "9p",
  "9pnet_virtio",
  "virtiofs",
];

/**
 * Pure: files written into the guest's root file system after debootstrap, keyed by absolute guest
 * path. Together they make the image boot by LABEL, get a network address by DHCP, regenerate its SSH
 * host keys and machine id on first boot, and let cloud-init find a NoCloud `cidata` disk.
 */
export function guestFiles(opts: { mirror: string; suite: string }): Record<string, GuestFile> {
  return {
    "/etc/fstab": {
      content:
        `# Written by tslima image build. The root is found by label, so the disk boots the same way\n` +
        `# by direct kernel boot and through UEFI firmware.\n` +
        `LABEL=${ROOT_LABEL}\t/\text4\tdefaults,discard,errors=remount-ro\t0 1\n` +
        `LABEL=${ESP_LABEL}\t/boot/efi\tvfat\tumask=0077,nofail,noauto,x-systemd.automount\t0 0\n`,
    },
    "/etc/hostname": { content: `${GUEST_HOSTNAME}\n` },
    "/etc/hosts": {
      content:
        `127.0.0.1\tlocalhost\n127.0.1.1\t${GUEST_HOSTNAME}\n` +
        `::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n`,
    },
    "/etc/apt/sources.list": {
      content:
        `deb ${opts.mirror} ${opts.suite} main\n` + `deb ${opts.mirror} ${opts.suite}-updates main\n`,
    },
    // cloud-init: only NoCloud (the `cidata` ISO tslima attaches), else run without a data source.
    // manage_etc_hosts makes whatever hostname cloud-init sets resolve (sudo complains otherwise).
    "/etc/cloud/cloud.cfg.d/99_tslima.cfg": {
      content:
        `# Written by tslima image build.\n` +
        `datasource_list: [ NoCloud, None ]\n` +
        `manage_etc_hosts: true\n`,
    },
    // Any wired NIC gets DHCP (QEMU's user network), also when no cloud-init network config is
    // given; cloud-init's own files in /run/systemd/network sort first and win when present.
    "/etc/systemd/network/80-tslima-dhcp.network": {
      content: `[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n`,
    },
    // sshd (ssh.service runs `sshd -t` first) refuses to start without host keys; the image ships
    // none so that every VM gets its own. cloud-init makes them when it runs; this covers the rest.
    "/etc/systemd/system/tslima-ssh-keygen.service": {
      content:
        `[Unit]\nDescription=Generate missing SSH host keys\n` +
        `After=cloud-init.service\nBefore=ssh.service\n` +
        `ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n\n` +
        `[Service]\nType=oneshot\nExecStart=/usr/bin/ssh-keygen -A\n\n` +
        `[Install]\nWantedBy=ssh.service multi-user.target\n`,
    },
    // A small initramfs (fast to unpack under TCG): only the listed modules and their dependencies.
    "/etc/initramfs-tools/conf.d/tslima": { content: "MODULES=list\n" },
    "/etc/initramfs-tools/modules": {
      content: `# Written by tslima image build: the guest's disks and root file system.\n${INITRAMFS_MODULES.join("\n")}\n`,
    },
    // QEMU's default PC machine has a floppy controller and no disk in it: probing it costs seconds.
    "/etc/modprobe.d/tslima-blacklist.conf": { content: "blacklist floppy\n" },
    "/etc/locale.gen": { content: "en_US.UTF-8 UTF-8\nC.UTF-8 UTF-8\n" },
    "/etc/default/locale": { content: "LANG=C.UTF-8\n" },
    // Keep the image small: no man pages or docs for packages installed later either.
    "/etc/dpkg/dpkg.cfg.d/tslima-nodoc": {
      content:
        "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n" +
        "path-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n",
    },
  };
}

/** Pure: the systemd-boot configuration on the EFI system partition (paths are ESP paths). */
export function espFiles(opts: { title: string; arch?: Arch }): Record<string, string> {
  return {
    "/loader/loader.conf": "default tslima.conf\ntimeout 0\nconsole-mode keep\neditor no\n",
    "/loader/entries/tslima.conf":
      `title ${opts.title}\nlinux /vmlinuz\ninitrd /initrd.img\noptions ${guestCmdline(opts.arch)}\n`,
  };
}
