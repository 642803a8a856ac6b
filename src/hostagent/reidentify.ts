/**
 * An instance's own identity when it runs a booted snapshot's memory (issue 24). Every instance made
 * from one snapshot resumes the same RAM: the same kernel RNG state, machine-id and sshd host key.
 * Each gets its own:
 * - a VM generation id (`<instance>/vmgenid`, a UUID kept across the instance's boots, made anew for
 *   each instance): QEMU's vmgenid device (qemu/argv.ts), whose change makes the guest kernel
 *   reseed its RNG as the state is restored;
 * - an ssh host key made on the host when the instance is made (instance/from-snapshot.ts), a
 *   machine-id made at the resume, and a MAC address (macAddress(name), already on QEMU's command
 *   line: the restored NIC has the snapshot's), which the resume's `reidentify` step gives the
 *   guest (REIDENTIFY_SCRIPT) while it is still connected through the snapshot's host key; sshd is
 *   restarted and the agent reconnects, pinned to the instance's own key.
 *
 * Until that step has run, `<instance>/ssh_host_ed25519_key.snapshot.pub` holds the snapshot's
 * public host key: the one the resume connects to first (pinResumeHostKey).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { TslimaError } from "../errors.js";
import type { InstancePaths } from "../store/paths.js";
import { writeFileAtomic } from "../store/atomic.js";
import { knownHostsLine } from "../ssh/hostkey.js";
import { closeControlMaster, guestExec } from "../ssh/exec.js";
import { waitForSsh } from "../ssh/wait.js";
import { asRoot } from "../mounts/index.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The instance's VM generation id, made (and kept) when missing or not a UUID. */
export function ensureVmGenId(paths: InstancePaths): string {
  const have = existsSync(paths.vmgenid) ? readFileSync(paths.vmgenid, "utf8").trim() : "";
  if (UUID.test(have)) return have;
  const id = randomUUID();
  writeFileAtomic(paths.vmgenid, `${id}\n`);
  return id;
}

/** A new machine-id: 32 lowercase hex digits (a random v4 UUID, as systemd makes them). */
export function newMachineId(): string {
  return randomUUID().replace(/-/g, "");
}

/**
 * The guest side (as root): `$1` the new machine-id, `$2` the public host key line, `$3` the MAC
 * address; the private host key on stdin. It installs the key (and removes host keys of other
 * types, which the snapshot's guest would share), writes /etc/machine-id (dbus reads it through
 * its link), restarts sshd (its open sessions live on), then gives the NIC of the default route
 * the MAC address, announcing it (arp_notify: the host's user network learns the new address).
 */
export const REIDENTIFY_SCRIPT = [
  "set -e",
  "umask 077",
  "k=/etc/ssh/ssh_host_ed25519_key",
  'cat > "$k.tslima"; test -s "$k.tslima"; mv -f "$k.tslima" "$k"',
  'printf "%s\\n" "$2" > "$k.pub"; chmod 644 "$k.pub"',
  "rm -f /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_rsa_key.pub /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_dsa_key /etc/ssh/ssh_host_dsa_key.pub",
  'printf "%s\\n" "$1" > /etc/machine-id; chmod 444 /etc/machine-id',
  "if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then ln -sf /etc/machine-id /var/lib/dbus/machine-id; fi",
  "systemctl restart ssh",
  'echo "machine-id $1 and the instance\'s ssh host key installed"',
  "dev=$(ip -o route show default | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1)",
  'test -n "$dev"',
  'old=$(cat "/sys/class/net/$dev/address")',
  'if [ "$old" != "$3" ]; then',
  '  a="/proc/sys/net/ipv4/conf/$dev/arp_notify"; n=$(cat "$a")',
  '  echo 1 > "$a"; ip link set dev "$dev" address "$3"; echo "$n" > "$a"',
  '  echo "MAC address of $dev: $old -> $3"',
  "fi",
].join("\n");

/**
 * Pins the host key the guest about to be reached holds: on a resume of an instance made from a
 * snapshot that has not had its own identity yet, the snapshot's (known_hosts); otherwise the
 * instance's own stays pinned (ensureHostKey wrote it) and the snapshot's goes (a cold boot gives
 * the guest the instance's key through cloud-init). Returns whether the resume must reidentify.
 */
export function pinResumeHostKey(paths: InstancePaths, resuming: boolean): boolean {
  if (!existsSync(paths.resumeHostKey)) return false;
  if (!resuming) {
    rmSync(paths.resumeHostKey, { force: true });
    return false;
  }
  writeFileAtomic(paths.knownHosts, `${knownHostsLine(paths.name, readFileSync(paths.resumeHostKey, "utf8"))}\n`);
  return true;
}

/**
 * The `reidentify` step: runs `script` (REIDENTIFY_SCRIPT) as root over the connection made with the
 * snapshot's host key, then closes that connection, pins the instance's own key and connects again:
 * only a guest serving the instance's own key is reached from here on. Returns what the guest said.
 */
export async function reidentifyGuest(paths: InstancePaths, script: string, mac: string, o: { signal: AbortSignal; beforeAttempt: () => void }): Promise<string> {
  const publicKey = readFileSync(`${paths.hostKey}.pub`, "utf8").trim();
  const r = await guestExec(paths, asRoot(script, "tslima-reidentify", [newMachineId(), publicKey, mac]), {
    input: readFileSync(paths.hostKey),
    timeoutMs: 120_000,
  });
  if (r.code !== 0) {
    throw new TslimaError("RESUME_FAILED", `cannot give the guest of ${paths.name} its own machine-id, ssh host key and MAC address: ${r.stderr.trim().split("\n").slice(-2).join(" | ") || `exit ${r.code}`}`, {
      hint: `the resume does it with sudo -n (user.passwordlessSudo, the default); start ${paths.name} again: it boots cold with its own host key`,
    });
  }
  closeControlMaster(paths);
  writeFileAtomic(paths.knownHosts, `${knownHostsLine(paths.name, publicKey)}\n`);
  rmSync(paths.resumeHostKey, { force: true });
  await waitForSsh(paths, 120_000, { ...o, denialIsFinal: true });
  return r.stdout.trim();
}
