/**
 * The CLI's messages in both voices: tslima's, and Lima's words for the same thing, which `limactl`
 * prints because scripts and tools match them (`level=warning msg="No instance found. ..."`). One
 * function per message; src/cli/log.ts picks the voice. Lima's quoting of names is Go's %#q: a name
 * in backquotes. Pure.
 */

import { isTslimaError } from "../errors.js";

/** One message in both voices. */
export interface Said {
  tslima: string;
  lima: string;
}

/** Go's %#q: `s` in backquotes when it can be, else double-quoted. */
export function bq(s: string): string {
  const plain = [...s].every((c) => c !== "`" && (c === "\t" || (c >= " " && c !== "\x7f")));
  return plain ? `\`${s}\`` : JSON.stringify(s);
}

const said = (tslima: string, lima: string): Said => ({ tslima, lima });

export const MSG = {
  protected: (n: string) => said(`protected instance ${n}`, `Protected ${bq(n)}`),
  unprotected: (n: string) => said(`unprotected instance ${n}`, `Unprotected ${bq(n)}`),
  alreadyProtected: (n: string) => said(`instance ${n} is already protected`, `Instance ${bq(n)} is already protected. Skipping.`),
  notProtected: (n: string) => said(`instance ${n} is not protected`, `Instance ${bq(n)} isn't protected. Skipping.`),
  deleted: (n: string, dir: string) => said(`deleted instance ${n}`, `Deleted ${bq(n)} (${bq(dir)})`),
  deleteMissing: (n: string) => said(`instance ${n} does not exist; nothing to delete`, `Ignoring non-existent instance ${bq(n)}`),
  factoryReset: (n: string) => said(`instance ${n} has been factory reset`, `Instance ${bq(n)} has been factory reset`),
  noInstances: () => said("no instance found; create one with `tslima create` or `tslima start template:default`", "No instance found. Run `limactl create` to create an instance."),
  noMatch: (n: string) => said(`no instance matching ${JSON.stringify(n)} found`, `No instance matching ${n} found.`),
  hasErrors: (n: string, errors: string[]) => said(`${n}: ${errors.join("; ")}`, `instance ${bq(n)} has errors`),
  edited: (n: string) => said(`edited instance ${n}`, `Instance ${bq(n)} configuration edited`),
  editUnchanged: (n: string) => said(`lima.yaml of ${n} is unchanged`, "Aborting, no changes made to the instance"),
  // Lima's clone and rename say nothing when they succeed
  cloned: (from: string, to: string) => said(`cloned instance ${from} to ${to}`, ""),
  renamed: (from: string, to: string) => said(`renamed instance ${from} to ${to}`, ""),
  experimental: (command: string) => said(`\`${command}\` is experimental`, `\`limactl ${command}\` is experimental`),
  diskCreated: (n: string, format: string, size: string, dir: string) => said(`Created ${format} disk ${n} (${size}) in ${dir}`, `Creating ${format} disk ${bq(n)} with size ${size}`),
  diskImported: (n: string, file: string, format: string, size: string) => said(`Imported ${file} as ${format} disk ${n} (${size})`, `Imported ${n} with size ${size}`),
  diskDeleted: (n: string) => said(`Deleted disk ${n}`, `Deleted ${bq(n)}`),
  diskResized: (n: string, size: string) => said(`Disk ${n} is now ${size}`, `Resized disk ${bq(n)} to ${size}`),
  diskUnlocked: (n: string) => said(`Unlocked disk ${n}`, `Unlocked disk ${bq(n)}`),
  // Lima's `network create|delete` say nothing when they succeed
  networkNoMatch: (n: string) => said(`no network matching ${JSON.stringify(n)} found`, `No network matching ${n} found.`),
  networkCreated: (n: string, where: string, file: string) => said(`created network ${n} (${where}) in ${file}`, ""),
  networkNotRunnable: (n: string, mode: string) =>
    said(`network ${n} is a ${mode} network, which needs socket_vmnet (Lima on macOS): tslima's instances can join user-v2 networks only`, `network ${bq(n)} is a ${mode} network: tslima runs user-v2 networks only`),
  networkDeleted: (n: string) => said(`deleted network ${n}`, ""),
  networkDeleteMissing: (n: string) => said(`network ${n} does not exist; nothing to delete`, ""),
};

/** Lima's words for errors (its `fmt.Errorf` wrappings); `cause` is the error's own text. */
export const LIMA_ERROR = {
  inspect: (n: string, cause: string) => `failed to inspect instance ${bq(n)}: ${cause}`,
  protectedDelete: (n: string) => `failed to delete instance ${bq(n)}: instance is protected to prohibit accidental removal (Hint: use \`limactl unprotect\`)`,
  protectedFactoryReset: () => "instance is protected to prohibit accidental factory-reset (Hint: use `limactl unprotect`)",
  deleteFailed: (n: string, cause: string) => `failed to delete instance ${bq(n)}: ${cause}`,
  brokenDir: (n: string, dir: string) =>
    `instance ${bq(n)} directory ${bq(dir)} exists but its ${bq("lima.yaml")} could not be read; it was NOT deleted, in case it is currently being cloned into. If no \`limactl\` operation is using it, remove it manually`,
  unmatched: () => "unmatched instances",
  shellMissing: (n: string) => `instance ${bq(n)} does not exist, run \`limactl create ${n}\` to create a new instance`,
  shellStopped: (n: string) => `instance ${bq(n)} is stopped, run \`limactl start ${n}\` to start the instance`,
};

/**
 * `e` with Lima's words for it: `wrap` gets the words so far (Lima's where the error has them, else
 * its message) and returns Lima's text, as Lima wraps an error in context. Anything that is no
 * TslimaError is returned as it is.
 */
export function withLimaWords(e: unknown, wrap: (cause: string) => string): unknown {
  return isTslimaError(e) ? e.withLima(wrap(e.lima ?? e.message)) : e;
}
