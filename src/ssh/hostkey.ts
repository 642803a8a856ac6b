import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import type { InstancePaths } from "../store/paths.js";
import { TslimaError } from "../errors.js";
import { sshHostAlias } from "./config.js";
import { generateEd25519Key, keyTempPath } from "./key.js";
import { writeFileAtomic } from "../store/atomic.js";

/**
 * Guest host key pinning (beyond Lima, which does not check the guest's key): the host generates
 * the guest's ed25519 host key per instance, cloud-init installs it in the guest (user-data
 * `ssh_keys`), and `<instance>/known_hosts` pins its public half under the host alias lima-NAME
 * (ssh.config sets HostKeyAlias, so a new ssh port does not matter). ssh then refuses any server
 * on the instance's port that does not hold that key.
 */

export interface HostKey {
  /** OpenSSH private key text (PEM-like block). */
  privateKey: string;
  /** "ssh-ed25519 AAAA... comment". */
  publicKey: string;
  /** True when this call generated it (a new instance, or one made before tslima pinned keys). */
  created: boolean;
}

/** The known_hosts line pinning `publicKey` for an instance: "lima-NAME ssh-ed25519 AAAA...". Pure. */
export function knownHostsLine(instanceName: string, publicKey: string): string {
  const [type = "", blob = ""] = publicKey.trim().split(/\s+/);
  return `${sshHostAlias(instanceName)} ${type} ${blob}`;
}

/**
 * The instance's host key, generated when missing (mode 0600), and known_hosts written from it on
 * every call, so the pin always matches the key the guest is given.
 */
export async function ensureHostKey(paths: InstancePaths): Promise<HostKey> {
  let created = false;
  if (!existsSync(paths.hostKey)) {
    const tmp = keyTempPath(paths.dir, "ssh_host_ed25519_key");
    try {
      await generateEd25519Key(tmp, `tslima-host-${paths.name}`, `the host key of instance ${paths.name}`);
      renameSync(`${tmp}.pub`, `${paths.hostKey}.pub`);
      renameSync(tmp, paths.hostKey);
      created = true;
    } finally {
      rmSync(tmp, { force: true });
      rmSync(`${tmp}.pub`, { force: true });
    }
  }
  const privateKey = readFileSync(paths.hostKey, "utf8");
  const publicKey = readFileSync(`${paths.hostKey}.pub`, "utf8").trim();
  writeFileAtomic(paths.knownHosts, `${knownHostsLine(paths.name, publicKey)}\n`);
  return { privateKey, publicKey, created };
}

/** What ssh prints when the server's host key is not the pinned one (changed, or of an unknown type). */
const MISMATCH = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key is known for .* and you have requested strict checking/;

/** Whether ssh's stderr says the server did not prove the pinned host key. Pure. */
export function isHostKeyMismatch(stderr: string): boolean {
  return MISMATCH.test(stderr);
}

/** The one error for a host key mismatch on an instance's ssh port. */
export function hostKeyMismatchError(paths: InstancePaths): TslimaError {
  return new TslimaError(
    "SSH_HOST_KEY",
    `host key mismatch: the ssh server on the port of instance ${paths.name} did not present the instance's host key pinned in ${paths.knownHosts}; tslima refused to connect`,
    {
      hint: `another program may be listening on the instance's ssh port (Port in ${paths.sshConfig}): stop it. If the guest's key was changed on purpose, remove ${paths.hostKey} and its .pub: the next start generates a new key and hands it to the guest`,
    },
  );
}
