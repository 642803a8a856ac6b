import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ensureHostKey, ensureUserKey, sshConfigText, sshControlExitArgv, waitForBanner, waitForSsh } from "../../../src/ssh/index.js";
import { findFreePort } from "../../../src/qemu/index.js";
import { instancePaths, type InstancePaths } from "../../../src/store/paths.js";

/** A real OpenSSH server on 127.0.0.1 standing in for the guest (needs root and /usr/sbin/sshd). */
const SSHD = "/usr/sbin/sshd";
export const canRunSshd = process.getuid?.() === 0 && existsSync(SSHD);

export interface LocalGuest {
  paths: InstancePaths;
  /** A scratch directory ("the guest's" file system is the host's). */
  root: string;
  sshPort: number;
  /** Ends the ControlMaster and sshd, removes the directories. */
  close(): void;
}

/**
 * Writes authorized_keys and an sshd_config for 127.0.0.1:PORT into `dir`; returns the config's path.
 * The server's host key is `hostKey` (an instance's pinned one), or else a new one made in `dir`.
 */
export function writeSshdConfig(dir: string, port: number, publicKey: string, hostKey?: string): string {
  const key = hostKey ?? join(dir, "hostkey");
  if (hostKey === undefined) spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  writeFileSync(join(dir, "authorized_keys"), `${publicKey}\n`);
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey "${key}"`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PidFile none",
      "UsePAM no",
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "",
    ].join("\n"),
  );
  return config;
}

/** Starts sshd with the tslima user key and an instance directory whose ssh.config reaches it; opens the ControlMaster. */
export async function startLocalGuest(name: string): Promise<LocalGuest> {
  const root = mkdtempSync(join(tmpdir(), "tslima-portfwd-"));
  const sshdDir = join(root, "sshd");
  mkdirSync(sshdDir);
  mkdirSync("/run/sshd", { recursive: true });
  const home = join(root, "home");
  const key = await ensureUserKey(home);
  const sshPort = await findFreePort();
  const paths = instancePaths(home, name);
  mkdirSync(paths.dir, { recursive: true });
  await ensureHostKey(paths);
  const sshdConfig = writeSshdConfig(sshdDir, sshPort, key.publicKey, paths.hostKey);
  writeFileSync(paths.sshConfig, sshConfigText(paths, { user: userInfo().username, port: sshPort, identityFile: key.privateKeyPath, instanceName: name }));
  const sshd = spawn(SSHD, ["-D", "-e", "-f", sshdConfig], { stdio: ["ignore", "ignore", "ignore"] });
  const close = () => {
    spawnSync("ssh", sshControlExitArgv(paths), { stdio: "ignore", timeout: 5000 });
    sshd.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitForBanner(sshPort, 20_000);
    await waitForSsh(paths, 20_000);
  } catch (e) {
    close();
    throw e;
  }
  return { paths, root, sshPort, close };
}
