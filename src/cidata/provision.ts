import { createHash } from "node:crypto";
import type { Config, Provision } from "../config/types.js";
import { TslimaError } from "../errors.js";
import { GUEST_LIB } from "./context.js";
import { fstabUnescape } from "../mounts/fstab.js";
import type { MountPlan } from "../mounts/types.js";
import { isEnvName } from "../proc/quote.js";
import { shQuote } from "./shell.js";
import { additionalDisks, diskRunnerLines } from "../disks/plan.js";

/** A file for cloud-init's write_files. */
export interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  encoding?: "b64";
}

/** Steps are named by their index in config.provision (a plain decimal, so JSON stays valid). */
function indexName(i: number): string {
  return String(i);
}

/**
 * env.sh: the guest's env (the config's env: with its proxy variables, cidata/proxy-env.ts) plus
 * PARAM_<KEY> for each param, and the user's identity for the runner.
 */
export function envScript(config: Config, env: Readonly<Record<string, string>> = config.env): string {
  const lines = ["# tslima: environment for provisioning scripts and login shells"];
  for (const [k, v] of Object.entries(env)) {
    if (!isEnvName(k)) throw new TslimaError("CONFIG_ENV_NAME", `env.${k}: not a valid environment variable name`, { hint: "rename the key under env: in lima.yaml (letters, digits, _)" });
    lines.push(`export ${k}=${shQuote(v)}`);
  }
  for (const [k, v] of Object.entries(config.param)) {
    if (!isEnvName(k)) throw new TslimaError("CONFIG_PARAM_NAME", `param.${k}: not a valid parameter name`, { hint: "rename the key under param: in lima.yaml (letters, digits, _)" });
    lines.push(`export PARAM_${k}=${shQuote(v)}`);
  }
  const u = config.user;
  lines.push(`TSLIMA_USER=${shQuote(u.name)} TSLIMA_USER_HOME=${shQuote(u.home)} TSLIMA_USER_SHELL=${shQuote(u.shell)} TSLIMA_USER_UID=${u.uid}`);
  return `${lines.join("\n")}\n`;
}

function scriptText(p: Provision, i: number): string | undefined {
  if (p.script !== undefined && p.script !== "") return p.script;
  if (p.file !== undefined) {
    throw new TslimaError("CONFIG_PROVISION_FILE", `provision[${i}].file was not read into provision[${i}].script`, {
      hint: "the config loader inlines provision files; check that the file exists and is readable",
    });
  }
  return undefined;
}

/**
 * The other name of the guest home, as Lima has both: `/home/USER.linux` for `/home/USER.guest` and
 * the reverse; undefined for a home of another shape (user.home set to something else). Pure.
 */
export function homeAlias(home: string): string | undefined {
  const m = /^(\/(?:[^/]+\/)*[^/]+)\.(linux|guest)\/?$/.exec(home);
  return m ? `${m[1]}.${m[2] === "linux" ? "guest" : "linux"}` : undefined;
}

/** The ordered steps (plan.sh, sourced by the runner) and the files they use; `before` runs ahead of the provisioning steps. */
export function provisionPlan(config: Config, mounts: MountPlan, hostIp: string, before: readonly string[] = []): { planSh: string; files: WriteFile[]; bootIndices: string[] } {
  const lines = ["# tslima: generated boot plan, run in this order on every boot"];
  const files: WriteFile[] = [];
  const bootIndices: string[] = [];
  lines.push(`hosts_entry ${shQuote(hostIp)} host.lima.internal`);
  for (const [name, ip] of Object.entries(config.hostResolver.hosts)) {
    if (/^[0-9.]+$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$/.test(ip)) lines.push(`hosts_entry ${shQuote(ip)} ${shQuote(name)}`);
  }
  const alias = homeAlias(config.user.home);
  if (alias !== undefined) lines.push(`home_alias ${shQuote(alias)}`);
  const fstabMounts = mounts.mounts.filter((m) => m.fstab);
  for (const m of fstabMounts) {
    const escaped = m.fstab?.[1] ?? "";
    lines.push(`mount_point ${shQuote(fstabUnescape(escaped))} ${shQuote(escaped)}`);
  }
  if (fstabMounts.length > 0) lines.push("mount_all");
  lines.push(...diskRunnerLines(additionalDisks(config)));
  if (!config.user.passwordlessSudo) lines.push("user_password");
  const steps: string[][] = [[], [], [], []]; // data, dependency, system, user
  config.provision.forEach((p, i) => {
    const idx = indexName(i);
    switch (p.mode) {
      case "data": {
        if (!p.path) throw new TslimaError("CONFIG_PROVISION_PATH", `provision[${i}].path is required for mode data`, { hint: `add path: to provision[${i}] in lima.yaml` });
        files.push({ path: `${GUEST_LIB}/data/${idx}`, content: Buffer.from(p.content ?? "", "utf8").toString("base64"), permissions: "0600", encoding: "b64" });
        const owner = p.owner ?? "root:root";
        const perms = p.permissions ?? "644";
        steps[0]?.push(`data ${idx} ${shQuote(p.path)} ${shQuote(owner)} ${shQuote(perms)} ${p.overwrite === false ? "false" : "true"}`);
        break;
      }
      case "dependency":
      case "system":
      case "user": {
        const text = scriptText(p, i);
        if (text === undefined) break;
        // root's only: a script holds its param: values; the runner gives a user script to the user's group (0750)
        files.push({ path: `${GUEST_LIB}/provision/${idx}`, content: text, permissions: "0700" });
        steps[p.mode === "dependency" ? 1 : p.mode === "system" ? 2 : 3]?.push(`script ${p.mode} ${idx}`);
        break;
      }
      case "boot": {
        // run by bootcmd on a full boot (see bootCommands()), from this copy by boot.sh on a light one
        const text = scriptText(p, i);
        if (text === undefined) break;
        files.push({ path: `${GUEST_LIB}/boot/${idx}`, content: text, permissions: "0700" });
        bootIndices.push(idx);
        break;
      }
      case "yq":
        // applied by the host agent after the runner (hostagent/yq-apply.ts): the guest has no yq
        break;
      default:
        steps[2]?.push(`unsupported ${p.mode} ${idx}`);
    }
  });
  lines.push(...before, ...steps.flat());
  return { planSh: `${lines.join("\n")}\n`, files, bootIndices };
}

/** Where bootcmd puts the mode "boot" scripts (root's only, on the root file system). */
export const BOOT_SCRIPT_DIR = "/var/lib/tslima/boot";

/**
 * bootcmd entries for mode "boot" scripts: cloud-init runs them early on every boot (before the
 * user exists or write_files ran on a first boot), so each carries its script and env inline.
 */
export function bootCommands(config: Config, env: string): string[] {
  const out: string[] = [];
  config.provision.forEach((p, i) => {
    if (p.mode !== "boot") return;
    const text = scriptText(p, i);
    if (text === undefined) return;
    const body = text.endsWith("\n") ? text : `${text}\n`;
    const eof = `TSLIMA_EOF_${createHash("sha256").update(body).digest("hex").slice(0, 16)}`;
    const envEof = `${eof}_ENV`;
    const idx = indexName(i);
    // not under /run: initramfs-tools mounts it noexec, and a script with a #! line is executed
    const f = `${BOOT_SCRIPT_DIR}/${idx}`;
    out.push(
      [
        `mkdir -p /run/tslima && mkdir -p -m 700 ${BOOT_SCRIPT_DIR}`,
        // the .env copy holds env: and param: values: root only
        "umask 077",
        `cat >${f} <<'${eof}'`,
        body + eof,
        `cat >${f}.env <<'${envEof}'`,
        env + envEof,
        `chmod 700 ${f}`,
        `if head -c 2 ${f} | grep -q '^#!'; then set -- ${f}; else set -- /bin/sh ${f}; fi`,
        `( . ${f}.env; cd / && "$@" ) || printf '{"mode":"boot","index":${idx},"exit":%s,"what":"boot script ${idx}"}\\n' "$?" >>/run/tslima/boot-failures`,
        "",
      ].join("\n"),
    );
  });
  return out;
}
