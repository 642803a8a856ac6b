import { isIP } from "node:net";
import { parse } from "yaml";
import { TslimaError, type ErrorCode } from "../errors.js";
import { trySize } from "../config/sizes.js";
import { fieldPath, formatIssue, isConfigError } from "../config/errors.js";
import type { YamlEdit } from "../config/sets.js";
import type { Arch, MountInput, MountType, PortForwardInput, VMType } from "../config/types.js";

/**
 * Changes to a template (or to an instance's lima.yaml) as typed data: what `create`, `start` and
 * `edit` take from a program (and, translated from Lima's flags, from the CLI). Merged into the YAML
 * as data, keeping its comments.
 */
export interface ConfigOverrides {
  /** A whole number of at least 1. */
  cpus?: number;
  /** GiB as a number (`1.5`), or a size string (`"512MiB"`, `"4GiB"`). */
  memory?: number | string;
  /** GiB as a number, or a size string. */
  disk?: number | string;
  arch?: Arch;
  /** Only "qemu" (tslima's one driver). */
  vmType?: VMType;
  mountType?: MountType;
  /** Appended after the template's mounts (or replacing them, see `replaceMounts`). */
  mounts?: MountInput[];
  /** `mounts` replace the template's mounts (Lima's --mount-only; with no `mounts`, --mount-none). */
  replaceMounts?: boolean;
  /** Every mount writable, the template's too (--mount-writable). */
  mountWritable?: boolean;
  mountInotify?: boolean;
  /** Appended after the template's port forwards. */
  portForwards?: PortForwardInput[];
  /** DNS server addresses, appended to `dns` (and the host resolver turned off, as Lima's --dns). */
  dns?: string[];
  /** Template parameters; the template must define each (its `param:` section). */
  param?: Record<string, string>;
  /** No mounts, port forwards or containerd. */
  plain?: boolean;
  /** The host port of ssh; 0 picks a free one. */
  sshPort?: number;
  containerd?: { system?: boolean; user?: boolean };
}

/** Every field of ConfigOverrides. */
export const OVERRIDE_KEYS: ReadonlyArray<keyof ConfigOverrides> = [
  "cpus", "memory", "disk", "arch", "vmType", "mountType", "mounts", "replaceMounts", "mountWritable", "mountInotify", "portForwards", "dns", "param", "plain", "sshPort", "containerd",
];

/**
 * How errors about overrides name what was given: the library's `options.mounts[1].location`
 * (INVALID_OPTION), or the CLI's flags (INVALID_FLAG, names from src/cli).
 */
export interface OverrideNames {
  code: ErrorCode;
  name(path: Array<string | number>): string;
}

export const OPTION_NAMES: OverrideNames = { code: "INVALID_OPTION", name: (p) => `options.${fieldPath(p)}` };

const ARCHES: Arch[] = ["x86_64", "aarch64", "riscv64", "armv7l", "s390x", "ppc64le"];
const MOUNT_TYPES: MountType[] = ["9p", "virtiofs", "reverse-sshfs"];

/** An override edit, with the option it came from (for naming it in config errors). */
export interface OverrideEdit extends YamlEdit {
  option: Array<string | number>;
}

/** The template's top-level list `key` length and `param` names (0 and none when it does not parse). */
function templateFacts(yamlText: string): { length: (key: string) => number; params: string[] } {
  let doc: Record<string, unknown> = {};
  try {
    const d = parse(yamlText) as unknown;
    if (d && typeof d === "object" && !Array.isArray(d)) doc = d as Record<string, unknown>;
  } catch {
    // the loader reports YAML errors with positions
  }
  const param = doc.param;
  return {
    length: (key) => (Array.isArray(doc[key]) ? doc[key].length : 0),
    params: param && typeof param === "object" ? Object.keys(param) : [],
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A size option: GiB as a number, or a size string Lima reads. */
function sizeValue(v: unknown, fail: (why: string, hint: string) => TslimaError): string {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return `${v}GiB`;
  // a string needs its unit: "4" would be 4 bytes to Lima, where 4 (a number) is 4 GiB
  if (typeof v === "string" && /[a-z]/i.test(v) && trySize(v) !== undefined) return v.trim();
  throw fail(`${JSON.stringify(v)} is not a size`, "use GiB as a number (e.g. 4) or a size string with its unit (e.g. \"512MiB\")");
}

/** Checks the values no template can make right (types, ranges); `names` says how to name a bad one. */
function checkValues(o: ConfigOverrides, names: OverrideNames): void {
  const fail = (path: Array<string | number>, why: string, hint: string) => new TslimaError(names.code, `${names.name(path)}: ${why}`, { hint });
  if (o.cpus !== undefined && (!Number.isInteger(o.cpus) || o.cpus < 1)) throw fail(["cpus"], `${o.cpus} is not a whole number of at least 1`, "e.g. 2");
  if (o.arch !== undefined && !ARCHES.includes(o.arch)) throw fail(["arch"], `${JSON.stringify(o.arch)} is not an architecture`, `use one of ${ARCHES.join(", ")}`);
  if (o.vmType !== undefined && o.vmType !== "qemu") throw fail(["vmType"], `${JSON.stringify(o.vmType)} is not supported: tslima runs QEMU only`, "leave it out, or use qemu");
  if (o.mountType !== undefined && !MOUNT_TYPES.includes(o.mountType)) throw fail(["mountType"], `${JSON.stringify(o.mountType)} is not a mount type`, `use one of ${MOUNT_TYPES.join(", ")}`);
  (o.mounts ?? []).forEach((m: unknown, i) => {
    if (!isObject(m)) throw fail(["mounts", i], "is not a mount object", 'e.g. { location: "/home/me/src", writable: true }');
    const loc = m.location;
    if (typeof loc !== "string" || !(loc.startsWith("/") || loc === "~" || loc.startsWith("~/"))) {
      throw fail(["mounts", i, "location"], `${JSON.stringify(loc)} is not an absolute host path`, "give an absolute path (path.resolve) or one under ~/");
    }
    if (m.writable !== undefined && typeof m.writable !== "boolean") throw fail(["mounts", i, "writable"], `${JSON.stringify(m.writable)} is not true or false`, "use a boolean");
  });
  (o.portForwards ?? []).forEach((p: unknown, i) => {
    if (!isObject(p)) throw fail(["portForwards", i], "is not a port forward object", "e.g. { guestPort: 80, hostPort: 8080 }");
  });
  for (const [i, ip] of (o.dns ?? []).entries()) {
    if (typeof ip !== "string" || isIP(ip) === 0) throw fail(["dns", i], `${JSON.stringify(ip)} is not an IP address`, "e.g. 1.1.1.1");
  }
  if (o.sshPort !== undefined && (!Number.isInteger(o.sshPort) || o.sshPort < 0 || o.sshPort > 65535)) {
    throw fail(["sshPort"], `${o.sshPort} is not a TCP port`, "use 0 (any free port) or a port 1-65535");
  }
}

/**
 * The edits that apply `o` to the YAML `yamlText` (the template, or an instance's lima.yaml): mounts
 * and port forwards appended after the ones it has, params checked against its `param:`. Values a
 * config cannot hold are errors named by `names`. Pure.
 */
export function overrideEdits(o: ConfigOverrides, yamlText: string, names: OverrideNames = OPTION_NAMES): OverrideEdit[] {
  checkValues(o, names);
  const edits: OverrideEdit[] = [];
  const set = (path: Array<string | number>, value: unknown, option: Array<string | number> = path) => edits.push({ path, value, option });
  const fail = (path: Array<string | number>, why: string, hint: string) => new TslimaError(names.code, `${names.name(path)}: ${why}`, { hint });
  if (o.cpus !== undefined) set(["cpus"], o.cpus);
  if (o.memory !== undefined) set(["memory"], sizeValue(o.memory, (why, hint) => fail(["memory"], why, hint)));
  if (o.disk !== undefined) set(["disk"], sizeValue(o.disk, (why, hint) => fail(["disk"], why, hint)));
  const facts = templateFacts(yamlText);
  if (o.mountType !== undefined) set(["mountType"], o.mountType);
  const given = (o.mounts ?? []).map((m) => (o.mountWritable === true ? { ...m, writable: true } : m));
  if (o.replaceMounts === true) {
    set(["mounts"], given);
  } else {
    const base = facts.length("mounts");
    if (o.mountWritable === true) for (let i = 0; i < base; i++) set(["mounts", i, "writable"], true, ["mountWritable"]);
    given.forEach((m, i) => set(["mounts", base + i], m, ["mounts", i]));
  }
  if (o.mountInotify !== undefined) set(["mountInotify"], o.mountInotify);
  for (const [key, value] of Object.entries(o.param ?? {})) {
    if (!facts.params.includes(key)) {
      throw fail(["param"], `the template does not define param ${JSON.stringify(key)}`, facts.params.length > 0 ? `its params: ${facts.params.join(", ")}` : "the template has no param: section").withLima(
        `error while processing flag \`param\`: template does not define param \`${key}\``,
      );
    }
    set(["param", key], value);
  }
  const forwards = facts.length("portForwards");
  (o.portForwards ?? []).forEach((p, i) => set(["portForwards", forwards + i], p, ["portForwards", i]));
  if (o.dns !== undefined && o.dns.length > 0) {
    const dns = facts.length("dns");
    o.dns.forEach((ip, i) => set(["dns", dns + i], ip, ["dns", i]));
    set(["hostResolver", "enabled"], false, ["dns"]);
  }
  if (o.plain !== undefined) set(["plain"], o.plain);
  if (o.arch !== undefined) set(["arch"], o.arch);
  if (o.vmType !== undefined) set(["vmType"], o.vmType);
  if (o.sshPort !== undefined) set(["ssh", "localPort"], o.sshPort, ["sshPort"]);
  if (o.containerd?.system !== undefined) set(["containerd", "system"], o.containerd.system);
  if (o.containerd?.user !== undefined) set(["containerd", "user"], o.containerd.user);
  return edits;
}

/**
 * A config error of the text the overrides made, with every issue in a field an override set named
 * as that option (`options.mounts[0].9p.msize: ...`, INVALID_OPTION); `e` itself when none is. Pure.
 */
export function optionError(e: unknown, edits: OverrideEdit[], names: OverrideNames = OPTION_NAMES): unknown {
  if (!isConfigError(e)) return e;
  const lines: string[] = [];
  let named = false;
  for (const issue of e.issues) {
    const edit = edits.find((x) => issue.field === fieldPath(x.path) || issue.field.startsWith(`${fieldPath(x.path)}.`) || issue.field.startsWith(`${fieldPath(x.path)}[`));
    if (edit === undefined) {
      lines.push(formatIssue(issue));
      continue;
    }
    named = true;
    lines.push(`${names.name(edit.option)}${issue.field.slice(fieldPath(edit.path).length)}: ${issue.message}`);
  }
  if (!named) return e;
  return new TslimaError(names.code, lines.join("\n"), { hint: "fix the option(s) named above", cause: e });
}
