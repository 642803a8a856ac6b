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
 * public host key: the one the resume connects to first (identityDue).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { TslimaError } from "../errors.js";
import type { InstancePaths } from "../store/paths.js";
import { writeFileAtomic } from "../store/atomic.js";
import { knownHostsLine } from "../ssh/hostkey.js";
import { closeControlMaster, guestExec } from "../ssh/exec.js";
import { waitForSsh } from "../ssh/wait.js";
import { retry } from "../proc/wait.js";
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
 * the MAC address, announcing it (arp_notify: the host's user network learns the new address),
 * with a runtime systemd-networkd config (in /run: the next boot's DHCP on cidata's config for the
 * instance's MAC gets the address) that keeps its address: the restored user network leased it to
 * the snapshot's MAC and gives the new one another, while ssh is forwarded to the first.
 */
export const REIDENTIFY_SCRIPT = [
  "set -e",
  // the session may drop while the NIC changes: what is left runs on
  "trap '' HUP PIPE",
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
  '[ "$old" != "$3" ] || exit 0',
  // QEMU's user network has the address leased to the snapshot's MAC (its DHCP table is restored
  // too) and forwards ssh to it: the new MAC keeps that address besides what DHCP gives it
  "addr=$(ip -4 -o addr show dev \"$dev\" scope global | sed -n 's/.* inet \\([^ ]*\\) .*/\\1/p' | head -n 1)",
  'test -n "$addr"',
  "printf '[Match]\\nMACAddress=%s\\n\\n[Network]\\nDHCP=ipv4\\nAddress=%s\\n' \"$3\" \"$addr\" > /run/systemd/network/05-tslima-identity.network",
  "chmod 644 /run/systemd/network/05-tslima-identity.network; networkctl reload",
  'a="/proc/sys/net/ipv4/conf/$dev/arp_notify"; n=$(cat "$a")',
  'echo 1 > "$a"; ip link set dev "$dev" address "$3"; echo "$n" > "$a"',
  'networkctl reconfigure "$dev"',
  'i=0; until ip -4 -o addr show dev "$dev" | grep -q " inet $addr "; do i=$((i+1)); [ $i -lt 300 ]; sleep 0.1; done',
  'echo "MAC address of $dev: $old -> $3 (keeping $addr)"',
].join("\n");

/**
 * Whether the guest still has to get the instance's own identity (an instance made from a booted
 * snapshot whose first resume has not completed), and the host key to pin for reaching it: on a
 * resume, the snapshot's (known_hosts), which the saved guest serves; on a cold boot the instance's
 * own stays pinned (ensureHostKey wrote it: cloud-init installs it), and the machine-id and MAC are
 * still due (the disk has the snapshot's machine-id).
 */
export function identityDue(paths: InstancePaths, resuming: boolean): boolean {
  if (!existsSync(paths.resumeHostKey)) return false;
  if (resuming) writeFileAtomic(paths.knownHosts, `${knownHostsLine(paths.name, readFileSync(paths.resumeHostKey, "utf8"))}\n`);
  return true;
}

/** What the guest says its machine-id and MAC addresses are, once reached with the instance's own key. */
export const IDENTITY_CHECK = "cat /etc/machine-id /sys/class/net/*/address";

/**
 * The `reidentify` step: runs `script` (REIDENTIFY_SCRIPT) as root over the connection made with the
 * snapshot's host key, then closes that connection, pins the instance's own key and connects again:
 * only a guest serving the instance's own key is reached from here on, and it must show the new
 * machine-id and MAC. The first session may drop as the NIC changes (ssh's exit 255): the check
 * after the reconnect decides. Returns what the guest said.
 */
export async function reidentifyGuest(paths: InstancePaths, script: string, mac: string, o: { signal: AbortSignal; beforeAttempt: () => void }): Promise<string> {
  const publicKey = readFileSync(`${paths.hostKey}.pub`, "utf8").trim();
  const machineId = newMachineId();
  const r = await guestExec(paths, asRoot(script, "tslima-reidentify", [machineId, publicKey, mac]), {
    input: readFileSync(paths.hostKey),
    timeoutMs: 120_000,
  });
  const failed = (what: string) =>
    new TslimaError("RESUME_FAILED", `cannot give the guest of ${paths.name} its own machine-id, ssh host key and MAC address: ${what}`, {
      hint: `the resume does it with sudo -n (user.passwordlessSudo, the default); start ${paths.name} again: it boots cold with its own host key`,
    });
  if (r.code !== 0 && r.code !== 255) throw failed(`${[r.stdout, r.stderr].join("\n").trim().split("\n").slice(-3).join(" | ")} (exit ${r.code})`);
  closeControlMaster(paths);
  writeFileAtomic(paths.knownHosts, `${knownHostsLine(paths.name, publicKey)}\n`);
  // as long as the resume's first ssh step may take (a loaded host): the start's timeout bounds it
  await waitForSsh(paths, Infinity, { ...o, denialIsFinal: true });
  // (a dropped session's script may still be finishing)
  await retry(
    async () => {
      const check = await guestExec(paths, ["sh", "-c", IDENTITY_CHECK], { timeoutMs: 30_000 });
      const seen = check.stdout.split("\n").map((l) => l.trim());
      if (!seen.includes(machineId) || !seen.includes(mac)) throw failed(`the guest shows ${seen.filter((l) => l !== "").join(", ") || check.stderr.trim()}`);
    },
    { timeoutMs: 60_000, intervalMs: 2000, ...o },
  );
  rmSync(paths.resumeHostKey, { force: true });
  return r.stdout.trim();
}
