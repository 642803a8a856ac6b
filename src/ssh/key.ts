import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { globalPaths } from "../store/paths.js";
import { processError, runProgram } from "../proc/run.js";

const HINT = "install OpenSSH's client tools (Debian: apt-get install openssh-client), and check that TSLIMA_HOME/_config is writable";

export interface UserKey {
  privateKeyPath: string;
  /** The public key line, e.g. "ssh-ed25519 AAAA... tslima". */
  publicKey: string;
}

async function derivePublicKey(privateKeyPath: string): Promise<string> {
  const r = await runProgram("ssh-keygen", ["-y", "-f", privateKeyPath], { timeoutMs: 30_000 });
  if (r.code !== 0) throw processError("SSH_KEY", `cannot read the public part of ${privateKeyPath}`, r, HINT);
  const line = r.stdout.trim();
  return line.split(/\s+/).length >= 3 ? line : `${line} tslima`;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

/**
 * The user's ssh key `_config/user` (ed25519, no passphrase, comment "tslima"), generated when
 * missing. Lock-free: the key is generated under a temporary name and hard-linked into place, so of
 * two concurrent callers exactly one key wins and both return it; user.pub is always derived from the
 * winning private key.
 */
export async function ensureUserKey(tslimaHome: string): Promise<UserKey> {
  const g = globalPaths(tslimaHome);
  if (!existsSync(g.userKey)) {
    mkdirSync(g.configDir, { recursive: true, mode: 0o700 });
    const tmp = join(g.configDir, `.user.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
    try {
      const r = await runProgram("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "tslima", "-f", tmp], { timeoutMs: 60_000 });
      if (r.code !== 0) throw processError("SSH_KEYGEN", `cannot generate the ssh key ${g.userKey}`, r, HINT);
      chmodSync(tmp, 0o600);
      try {
        linkSync(tmp, g.userKey);
        renameSync(`${tmp}.pub`, g.userPubKey);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        // someone else's key won the race: use theirs
      }
    } finally {
      rmSync(tmp, { force: true });
      rmSync(`${tmp}.pub`, { force: true });
    }
  }
  let publicKey: string | undefined;
  try {
    publicKey = readFileSync(g.userPubKey, "utf8").trim();
  } catch {
    // missing (another process is between link and rename, or it was deleted): derived below
  }
  if (publicKey === undefined || publicKey === "") {
    publicKey = await derivePublicKey(g.userKey);
    writeAtomic(g.userPubKey, `${publicKey}\n`);
  }
  return { privateKeyPath: g.userKey, publicKey };
}
