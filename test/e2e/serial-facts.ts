/**
 * What a guest's serial console log shows about how far its boot went (the end-to-end tests that
 * stop a boot once it has proved its point, instead of waiting for sshd and cloud-init).
 */

/**
 * Whether the serial log shows the initrd handing over to systemd on the image's root: in this order,
 * the kernel running the initrd (initramfs-tools, no systemd in it), the root file system mounted
 * from the disk, then systemd as PID 1 greeting with the root's os-release. (systemd colours the
 * distribution's name: \S* steps over the escape sequences around it.)
 */
export function systemdFromRoot(log: string): boolean {
  const initrd = log.indexOf("Run /init as init process");
  const root = initrd < 0 ? -1 : log.slice(initrd).search(/EXT4-fs \(vda\d+\): mounted filesystem/);
  if (root < 0) return false;
  return /systemd\[1\]: systemd \d+\S* running in system mode[\s\S]*\nWelcome to \S*Debian GNU\/Linux 12 \(bookworm\)\S*!/.test(log.slice(initrd + root));
}
