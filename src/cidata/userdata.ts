import { stringify } from "yaml";
import type { Config } from "../config/types.js";
import { GUEST_LIB, HOST_IP, guestHostname, type CidataContext } from "./context.js";
import { nicUnitFiles } from "./user-networks.js";
import { hostResolverBootCommand } from "./host-resolver.js";
import { bootCommands, envScript, provisionPlan, type WriteFile } from "./provision.js";
import { fstabUnescape } from "../mounts/fstab.js";
import { shQuote } from "./shell.js";
import { guestEnv, guestProxyEnv } from "./proxy-env.js";
import { proxyBootCommand } from "./proxy-files.js";
import { containerdPlan } from "./containerd.js";
import {
  LIGHT_BOOT_DROPIN,
  LIGHT_BOOT_DROPIN_PATH,
  LIGHT_BOOT_SH_PATH,
  LIGHT_BOOT_UNIT,
  LIGHT_BOOT_UNIT_PATH,
  PER_BOOT_SH,
  PROFILE_SH,
  RUNNER_SH,
  lightBootScript,
} from "./scripts/runner.js";
import { SSHFS_HELPER_SH } from "./scripts/sshfs.js";
import { CHECK_DROPIN, CHECK_DROPIN_PATH, CHECK_SH_PATH, CHECK_UNIT, CHECK_UNIT_PATH, SUDOERS_PATH, checkScript } from "./scripts/check.js";
import { SSHFS_ALLOW, SSHFS_HELPER, SSHFS_SUDOERS, sshfsAllowKey, sshfsSudoersLine } from "../mounts/sshfs-helper.js";

/**
 * cloud-init's ca_certs, as Lima fills it from caCerts (kept in config.extra): the certificates of
 * caCerts.files (read on the host) then caCerts.certs, and remove_defaults, which on Debian takes
 * the distribution's CAs out of the bundle; undefined when there is nothing to do.
 */
export function caCertsDoc(config: Config, files: readonly string[] = []): Record<string, unknown> | undefined {
  const ca = config.extra.caCerts as { certs?: unknown; removeDefaults?: unknown } | undefined;
  const inline = Array.isArray(ca?.certs) ? ca.certs.filter((c): c is string => typeof c === "string") : [];
  const trusted = [...files, ...inline].map((c) => `${c.trim()}\n`);
  const removeDefaults = ca?.removeDefaults === true;
  if (!removeDefaults && trusted.length === 0) return undefined;
  return { ...(removeDefaults ? { remove_defaults: true } : {}), ...(trusted.length > 0 ? { trusted } : {}) };
}

/**
 * The user's sudo rule, as Lima writes it: NOPASSWD for everything, or (passwordlessSudo: false)
 * every command with the password from ~/password. One string: cloud-init's schema takes no list
 * (a list works but logs "Invalid cloud-config provided"), so the reverse-sshfs helper's password-free
 * rule is a file of its own (SSHFS_SUDOERS).
 */
function sudoRule(config: Config): string {
  return config.user.passwordlessSudo ? "ALL=(ALL) NOPASSWD:ALL" : "ALL=(ALL) ALL";
}

/** The #cloud-config document. */
export function userData(config: Config, ctx: CidataContext): string {
  const u = config.user;
  const hostname = guestHostname(ctx.instanceName);
  const proxies = guestProxyEnv(config.env, config.propagateProxyEnv, ctx.hostProxyEnv ?? {}, HOST_IP);
  const env = envScript(config, guestEnv(config.env, proxies));
  const containerd = containerdPlan(config, ctx.containerdArchive);
  const plan = provisionPlan(config, ctx.mounts, HOST_IP, containerd.lines);
  const sshfsKeys = ctx.mounts.mounts.flatMap((m) => (m.sshfs ? [sshfsAllowKey(m.sshfs.target)] : []));
  const writeFiles: WriteFile[] = [
    { path: `${GUEST_LIB}/runner.sh`, content: RUNNER_SH, permissions: "0755" },
    { path: `${GUEST_LIB}/plan.sh`, content: plan.planSh, permissions: "0644" },
    // env: and param: values: root only here; the runner opens it to the user's group (user + root)
    { path: `${GUEST_LIB}/env.sh`, content: env, permissions: "0600" },
    ...plan.files,
    ...containerd.files,
    ...(sshfsKeys.length > 0
      ? [
          { path: SSHFS_HELPER, content: SSHFS_HELPER_SH, permissions: "0755" },
          { path: SSHFS_ALLOW, content: `${sshfsKeys.join("\n")}\n`, permissions: "0644" },
          ...(u.passwordlessSudo ? [] : [{ path: SSHFS_SUDOERS, content: sshfsSudoersLine(u.name), permissions: "0440" }]),
        ]
      : []),
    { path: "/var/lib/cloud/scripts/per-boot/90-tslima.sh", content: PER_BOOT_SH, permissions: "0755" },
    // a light boot (cloud-init=disabled, see cidata/boot-mode.ts) runs the same work from this unit
    { path: LIGHT_BOOT_SH_PATH, content: lightBootScript(plan.bootIndices), permissions: "0755" },
    { path: LIGHT_BOOT_UNIT_PATH, content: LIGHT_BOOT_UNIT, permissions: "0644" },
    { path: LIGHT_BOOT_DROPIN_PATH, content: LIGHT_BOOT_DROPIN, permissions: "0644" },
    { path: "/etc/profile.d/90-tslima-env.sh", content: PROFILE_SH, permissions: "0644" },
    // every boot, before sshd: what the full run wrote is repaired when a crash left it empty
    { path: CHECK_UNIT_PATH, content: CHECK_UNIT, permissions: "0644" },
    { path: CHECK_DROPIN_PATH, content: CHECK_DROPIN, permissions: "0644" },
    ...(ctx.networks ?? []).flatMap(nicUnitFiles),
  ];
  const kept = [
    ...(ctx.hostKey ? ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub"] : []),
    ...(ctx.sshPublicKeys.some((k) => k.trim() !== "") ? [`${u.home}/.ssh/authorized_keys`] : []),
    SUDOERS_PATH,
    CHECK_SH_PATH,
    ...writeFiles.filter((f) => f.content !== "").map((f) => f.path),
  ];
  writeFiles.push({ path: CHECK_SH_PATH, content: checkScript(kept), permissions: "0755" });
  const doc: Record<string, unknown> = {
    hostname,
    fqdn: hostname,
    prefer_fqdn_over_hostname: false,
    manage_etc_hosts: true,
    users: [
      {
        name: u.name,
        uid: u.uid,
        gecos: u.comment,
        homedir: u.home,
        shell: u.shell,
        sudo: sudoRule(config),
        // a password set by the runner (passwordlessSudo: false) must survive cloud-init's users module
        lock_passwd: config.user.passwordlessSudo,
        ssh_authorized_keys: ctx.sshPublicKeys.map((k) => k.trim()).filter((k) => k !== ""),
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
  };
  if (ctx.hostKey) {
    // The pinned host key replaces the image's keys; cloud-init generates no others. The generated
    // types name only ed25519, the type given (cloud-init makes a type only when its key file is
    // missing): its schema wants at least one, and `[]` made it log "Invalid cloud-config provided".
    doc.ssh_keys = { ed25519_private: ctx.hostKey.privateKey, ed25519_public: ctx.hostKey.publicKey.trim() };
    doc.ssh_deletekeys = true;
    doc.ssh_genkeytypes = ["ed25519"];
  }
  if (config.timezone !== "") doc.timezone = config.timezone;
  if (config.upgradePackages) doc.package_upgrade = true;
  const ca = caCertsDoc(config, ctx.caCertFiles);
  if (ca) doc.ca_certs = ca;
  const fstab = ctx.mounts.mounts.flatMap((m) => (m.fstab ? [m.fstab] : []));
  if (fstab.length > 0) {
    doc.mounts = fstab;
    doc.mount_default_fields = [null, null, "auto", "defaults,nofail", "0", "2"];
  }
  doc.write_files = writeFiles.map((f) => ({ path: f.path, permissions: f.permissions, owner: "root:root", ...(f.encoding ? { encoding: f.encoding } : {}), content: f.content }));
  // Mount points must exist before cloud-init's mounts module runs `mount -a` (it would only create
  // the fstab-escaped names, e.g. "/a\\040b"), so the very first bootcmd creates the real ones.
  const mountDirs = fstab.map((f) => shQuote(fstabUnescape(f[1])));
  const boot = [
    ...(mountDirs.length > 0 ? [`mkdir -p ${mountDirs.join(" ")}`] : []),
    ...(ctx.hostResolverPort !== undefined ? [hostResolverBootCommand(HOST_IP, ctx.hostResolverPort)] : []),
    proxyBootCommand(proxies),
    ...bootCommands(config, env),
  ];
  if (boot.length > 0) doc.bootcmd = boot;
  return `#cloud-config\n${stringify(doc, { version: "1.1", lineWidth: 0 })}`;
}
