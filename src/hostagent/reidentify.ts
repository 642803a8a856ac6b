/**
 * An instance's own identity when it runs a booted snapshot's memory (issue 24). Every instance made
 * from one snapshot resumes the same RAM: the same kernel RNG state, machine-id and sshd host key.
 * Each gets its own:
 * - a VM generation id (`<instance>/vmgenid`, a UUID kept across the instance's boots, made anew for
 *   each instance): QEMU's vmgenid device (qemu/argv.ts), whose change makes the guest kernel
 *   reseed its RNG as the state is restored;
 * - an ssh host key made on the host when the instance is made (instance/from-snapshot.ts) and a
 *   machine-id made at the resume, which the resume's `reidentify` step gives the guest
 *   (REIDENTIFY_SCRIPT) while it is still connected through the snapshot's host key; sshd is
 *   restarted and the agent reconnects, pinned to the instance's own key;
 * - a MAC address (macAddress(name) on QEMU's command line) from its first cold boot on: the
 *   restored NIC keeps the snapshot's (the migration stream carries it). Changing it in the running
 *   guest was tried and left out: QEMU's restored user network leases 192.168.5.15 (where ssh is
 *   forwarded) to the snapshot's MAC, systemd-networkd restarts DHCP on a new MAC and gets another
 *   address, and even with the old address kept the guest's network was lost in some resumes.
 *
 * Until that step has run, `<instance>/ssh_host_ed25519_key.snapshot.pub` holds the snapshot's
 * public host key: the one the resume connects to first (identityDue).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { TslimaError } from "../errors.js";
import type { InstancePaths } from "../store/paths.js";
import { writeFileAtomic } from "../store/atomic.js";
import { knownHostsLine } from "../ssh/hostkey.js";
import { closeControlMaster, guestExec } from "../ssh/exec.js";
import { RESUMED_SSH_POLL_MS, waitForSsh } from "../ssh/wait.js";
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

export { REIDENTIFY_SCRIPT } from "./reidentify-script.js";

/**
 * Whether the guest still has to get the instance's own identity: an instance made from a booted
 * snapshot whose first resume has not completed (on a cold boot too: the disk has the snapshot's
 * machine-id).
 */
export function identityDue(paths: InstancePaths): boolean {
  return existsSync(paths.resumeHostKey);
}

/**
 * A restored guest whose identity is due serves the snapshot's host key: that one is pinned
 * (known_hosts) for reaching it. On a cold boot the instance's own stays pinned (ensureHostKey wrote
 * it: cloud-init installs it).
 */
export function pinSnapshotHostKey(paths: InstancePaths): void {
  writeFileAtomic(paths.knownHosts, `${knownHostsLine(paths.name, readFileSync(paths.resumeHostKey, "utf8"))}\n`);
}

/** What the guest says its machine-id is, once reached with the instance's own key. */
export const IDENTITY_CHECK = "cat /etc/machine-id";

/**
 * The `reidentify` step: runs `script` (REIDENTIFY_SCRIPT) as root over the connection made with the
 * snapshot's host key, then closes that connection, pins the instance's own key and connects again:
 * only a guest serving the instance's own key is reached from here on, and it must show the new
 * machine-id. Should the first session drop (ssh's exit 255), the check after the reconnect
 * decides. Returns what the guest said.
 */
export async function reidentifyGuest(
  paths: InstancePaths,
  script: string,
  o: { signal: AbortSignal; beforeAttempt: () => void },
  timed: (name: string, ms: number) => void = () => undefined,
): Promise<string> {
  let t0 = performance.now();
  const lap = (name: string) => {
    timed(`reidentify: ${name}`, performance.now() - t0);
    t0 = performance.now();
  };
  const publicKey = readFileSync(`${paths.hostKey}.pub`, "utf8").trim();
  const machineId = newMachineId();
  const r = await guestExec(paths, asRoot(script, "tslima-reidentify", [machineId, publicKey]), {
    input: readFileSync(paths.hostKey),
    timeoutMs: 120_000,
  });
  const failed = (what: string) =>
    new TslimaError("RESUME_FAILED", `cannot give the guest of ${paths.name} its own machine-id and ssh host key: ${what}`, {
      hint: `the resume does it with sudo -n (user.passwordlessSudo, the default); start ${paths.name} again: it boots cold with its own host key`,
    });
  if (r.code !== 0 && r.code !== 255) throw failed(`${[r.stdout, r.stderr].join("\n").trim().split("\n").slice(-3).join(" | ")} (exit ${r.code})`);
  lap("script");
  closeControlMaster(paths);
  writeFileAtomic(paths.knownHosts, `${knownHostsLine(paths.name, publicKey)}\n`);
  // as long as the resume's first ssh step may take (a loaded host): the start's timeout bounds it
  await waitForSsh(paths, Infinity, { ...o, denialIsFinal: true, intervalMs: RESUMED_SSH_POLL_MS });
  lap("ssh again");
  // (a dropped session's script may still be finishing)
  await retry(
    async () => {
      const check = await guestExec(paths, ["sh", "-c", IDENTITY_CHECK], { timeoutMs: 30_000 });
      const seen = check.stdout.split("\n").map((l) => l.trim());
      if (!seen.includes(machineId)) throw failed(`the guest shows ${seen.filter((l) => l !== "").join(", ") || check.stderr.trim()}`);
    },
    { timeoutMs: 60_000, intervalMs: 2000, ...o },
  );
  lap("check");
  rmSync(paths.resumeHostKey, { force: true });
  return r.stdout.trim();
}
