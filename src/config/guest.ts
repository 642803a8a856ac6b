/**
 * The guest-side layout every planner shares: where tslima installs its guest programs, the files
 * the guest writes when boot-time work is done, the host's address on the user network, the hostname.
 */

/** Where the guest side of tslima lives (installed by write_files). */
export const GUEST_LIB = "/usr/local/libexec/tslima";
/** Created by the guest when boot-time work is done (mounts attempted, provisioning finished). */
export const READY_FILE = "/run/tslima-ready";
/** JSON lines, one per failed provisioning step; absent when all succeeded. */
export const PROVISION_LOG = "/run/tslima-provision.log";
/** The host as seen from the guest on QEMU's user-mode network 192.168.5.0/24 (Lima's layout). */
export const HOST_IP = "192.168.5.2";

/** Lima's hostname for an instance: "lima-" + name, with "." and "_" made "-". */
export function guestHostname(instanceName: string): string {
  return `lima-${instanceName.replace(/[._]/g, "-")}`;
}
