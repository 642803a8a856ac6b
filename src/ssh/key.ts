import { existsSync, linkSync, readFileSync, renameSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../store/atomic.js";
import { makePrivateDir, makePrivateFile } from "../store/private.js";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { globalPaths } from "../store/paths.js";
import { processError, runProgram } from "../proc/run.js";

const HINT = "install OpenSSH's client tools (Debian: apt-get install openssh-client), and check that TSLIMA_HOME and its directories are writable";

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

/** A unique temporary name next to `path`'s directory for a key being generated. */
export function keyTempPath(dir: string, base: string): string {
  return join(dir, `.${base}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** ssh-keygen: a new ed25519 key without passphrase at `path` (+ `path`.pub), private part mode 0600. */
export async function generateEd25519Key(path: string, comment: string, what: string): Promise<void> {
  const r = await runProgram("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], { timeoutMs: 60_000 });
  if (r.code !== 0) throw processError("SSH_KEYGEN", `cannot generate ${what}`, r, HINT);
  makePrivateFile(path);
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
    makePrivateDir(g.configDir);
    const tmp = keyTempPath(g.configDir, "user");
    try {
      await generateEd25519Key(tmp, "tslima", `the ssh key ${g.userKey}`);
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
    writeFileAtomic(g.userPubKey, `${publicKey}\n`);
  }
  return { privateKeyPath: g.userKey, publicKey };
}
