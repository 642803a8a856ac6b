/**
 * networks.yaml at TSLIMA_HOME/_config/networks.yaml (Lima's file): read, created from the default
 * when missing, and rewritten atomically (0600) by `network create|delete`.
 */
import { readFile } from "node:fs/promises";
import { globalPaths } from "../store/paths.js";
import { writeFileAtomic } from "../store/atomic.js";
import { ensurePrivateHome, makePrivateDir } from "../store/private.js";
import { acquireLock } from "../store/lock.js";
import { TslimaError } from "../errors.js";
import { DEFAULT_NETWORKS_YAML, parseNetworks, type NetworksConfig } from "./networks-yaml.js";

export { NETWORK_MODES, type NetworkMode, type NetworkDef, type NetworksConfig } from "./networks-yaml.js";
export { userV2Network, type UserV2Network } from "./user-v2.js";

/** networks.yaml's text, written from tslima's default (Lima's networks) when the file is missing. */
export async function readNetworksText(home: string): Promise<{ file: string; text: string }> {
  const file = globalPaths(home).networksYaml;
  try {
    return { file, text: await readFile(file, "utf8") };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new TslimaError("NETWORKS_CONFIG", `${file}: cannot be read: ${(e as Error).message}`, { hint: `make ${file} a file you can read, or remove it to get the default back` });
    }
  }
  ensurePrivateHome(home);
  makePrivateDir(globalPaths(home).configDir);
  writeFileAtomic(file, DEFAULT_NETWORKS_YAML);
  return { file, text: DEFAULT_NETWORKS_YAML };
}

/**
 * Reads networks.yaml (creating it from the default when missing), validates it and fills Lima's
 * `user-v2` network when no user-v2 network has a gateway. Errors: NETWORKS_CONFIG, naming the file
 * and the field.
 */
export async function loadNetworks(home: string): Promise<NetworksConfig> {
  const { file, text } = await readNetworksText(home);
  return parseNetworks(text, file);
}

/**
 * Edits networks.yaml: `edit` gets the file's text and its validated config and returns the new
 * text, which must validate too; it is written atomically (0600). The file's lock (networks.yaml.lock)
 * keeps two edits from losing one another.
 */
export async function editNetworks<T>(home: string, edit: (text: string, cfg: NetworksConfig) => { text: string; result: T }): Promise<T> {
  const { file } = await readNetworksText(home);
  const lock = await acquireLock(`${file}.lock`, { timeoutMs: 10_000 });
  try {
    const { text } = await readNetworksText(home);
    const out = edit(text, parseNetworks(text, file));
    parseNetworks(out.text, file);
    writeFileAtomic(file, out.text);
    return out.result;
  } finally {
    lock.release();
  }
}
