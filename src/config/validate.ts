import { isIP } from "node:net";
import { posix } from "node:path";
import { isEnvName } from "../proc/quote.js";
import { asText } from "./ast.js";
import { ignoredFields } from "./ignored.js";
import type { Config, HostFacts } from "./types.js";
import { NOT_SUPPORTED, oneOf, validateDigest, validatePort, type Finding } from "./validate-common.js";
import { validateAdditionalDisks, validateNetworks, validatePortForwards, validateProvision } from "./validate-lists.js";
import { validateMounts } from "./validate-mounts.js";
import { validateResources } from "./validate-resources.js";
import { videoFindings } from "./video.js";
import { audioFindings } from "./audio.js";
import { validateCopyToHost } from "./copy-to-host.js";
import { containerdFindings } from "./containerd.js";

export { NOT_SUPPORTED, type Finding };

export const ARCHES = ["x86_64", "aarch64", "armv7l", "ppc64le", "riscv64", "s390x"];
export const VM_TYPES = ["qemu", "vz", "wsl2", "krunkit"];
export const MOUNT_TYPES = ["reverse-sshfs", "9p", "virtiofs", "wsl2"];

const semverish = /^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$/;

/**
 * Checks a filled Config the way Lima's Validate does, plus the 9p options Lima leaves unchecked, and
 * refuses (with "not supported by tslima") what tslima does not implement on purpose. `raw` is the merged
 * YAML before defaults, to tell "set" from "filled". Collects every finding; nothing is thrown.
 */
export function validateConfig(config: Config, raw: Record<string, unknown>, host: HostFacts): Finding[] {
  const out: Finding[] = [];
  const err = (path: Array<string | number>, message: string) => out.push({ path, message });

  const minLima = config.extra.minimumLimaVersion;
  if (minLima !== undefined && minLima !== null && !semverish.test(asText(minLima))) {
    err(["minimumLimaVersion"], `must be a version such as "2.0.0", got ${JSON.stringify(minLima)}`);
  }
  const qemuMin = (config.extra.vmOpts as { qemu?: { minimumVersion?: unknown } } | undefined)?.qemu?.minimumVersion;
  if (qemuMin !== undefined && qemuMin !== null && !semverish.test(asText(qemuMin))) {
    err(["vmOpts", "qemu", "minimumVersion"], `must be a version such as "8.2.1", got ${JSON.stringify(qemuMin)}`);
  }

  if (config.os !== "Linux") {
    if (["Darwin", "FreeBSD", "Windows"].includes(config.os)) err(["os"], `guest os "${config.os}" is ${NOT_SUPPORTED} (only Linux guests)`);
    else err(["os"], `must be "Linux", got "${config.os}"`);
  }
  if (!ARCHES.includes(config.arch)) err(["arch"], `must be one of ${oneOf(ARCHES)}, got "${config.arch}"`);

  if (!VM_TYPES.includes(config.vmType)) err(["vmType"], `must be one of ${oneOf(VM_TYPES)}, got "${config.vmType}"`);
  else if (config.vmType === "vz") {
    err(["vmType"], host.os === "Darwin"
      ? `vmType "vz" is ${NOT_SUPPORTED} yet; use vmType: qemu`
      : `vmType "vz" is ${NOT_SUPPORTED} on ${host.os} (it needs macOS Virtualization.framework); use vmType: qemu`);
  } else if (config.vmType !== "qemu") err(["vmType"], `vmType "${config.vmType}" is ${NOT_SUPPORTED}; use vmType: qemu`);

  validateImages(config, out);

  validateResources(config, raw, host, out);

  if (!MOUNT_TYPES.includes(config.mountType)) err(["mountType"], `must be one of ${oneOf(MOUNT_TYPES.filter((m) => m !== "wsl2"))}, got "${config.mountType}"`);
  else if ((config.mountType as string) === "wsl2") err(["mountType"], `mountType "wsl2" is ${NOT_SUPPORTED}`);
  else if (config.mountTypesUnsupported.includes(config.mountType)) {
    err(["mountType"], `must not be one of ${oneOf(config.mountTypesUnsupported)} (listed in mountTypesUnsupported: the guest kernel lacks it), got "${config.mountType}"`);
  } else if (config.mountType === "virtiofs" && config.vmType === "qemu" && host.os !== "Linux") {
    err(["mountType"], `mountType "virtiofs" with vmType qemu is ${NOT_SUPPORTED} on ${host.os} hosts (virtiofsd runs on Linux only); use 9p or reverse-sshfs`);
  }
  config.mountTypesUnsupported.forEach((m, i) => {
    if (!MOUNT_TYPES.includes(m)) err(["mountTypesUnsupported", i], `must be one of ${oneOf(MOUNT_TYPES)}, got "${m}"`);
  });

  validateMounts(config, raw, out);

  if (config.ssh.localPort !== 0) validatePort(["ssh", "localPort"], config.ssh.localPort, out);

  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(config.user.name)) err(["user", "name"], `must be a valid Linux user name (lowercase letters, digits, "_" and "-"), got "${config.user.name}"`);
  if (!Number.isInteger(config.user.uid) || config.user.uid < 0) err(["user", "uid"], `must be a non-negative integer, got ${config.user.uid}`);
  if (!posix.isAbsolute(config.user.home)) err(["user", "home"], `must be an absolute guest path, got "${config.user.home}"`);
  if (!posix.isAbsolute(config.user.shell)) err(["user", "shell"], `must be an absolute guest path, got "${config.user.shell}"`);

  validateProvision(config, raw, out);
  config.probes.forEach((p, i) => {
    if (p.mode !== "readiness") err(["probes", i, "mode"], `can only be "readiness", got "${p.mode as string}"`);
    if (!p.script.startsWith("#!")) err(["probes", i, "script"], "must start with a '#!' line");
  });
  validatePortForwards(config, raw, host, out);
  validateNetworks(config, out);

  validateDnsAndCaFiles(config, out);

  for (const [k, v] of Object.entries(config.env)) {
    if (!isEnvName(k)) err(["env", k], `"${k}" is not a valid environment variable name (letters, digits and "_", not starting with a digit)`);
    if (v.includes("\0")) err(["env", k], "value must not contain a NUL byte");
  }
  for (const [k, v] of Object.entries(config.param)) {
    if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(k)) err(["param", k], `param name "${k}" must start with a letter followed by letters, digits or "_"`);
    if ([...v].some((c) => c !== " " && c !== "\t" && /[\p{Cc}\p{Cn}]/u.test(c))) err(["param", k], "value must not contain non-printable characters");
  }

  validateAdditionalDisks(config.extra.additionalDisks, out);
  out.push(...videoFindings(config), ...audioFindings(config));
  validateCopyToHost(config.extra.copyToHost, out);
  out.push(...containerdFindings(config, ARCHES));
  out.push(...ignoredFields(raw));
  return out;
}

/** images[] (and their kernel/initrd) and firmware.images: location, arch, digest. */
function validateImages(config: Config, out: Finding[]): void {
  const err = (path: Array<string | number>, message: string) => out.push({ path, message });
  if (config.images.length === 0) err(["images"], "must list at least one image (location and arch)");
  config.images.forEach((img, i) => {
    const files: Array<[Array<string | number>, { location: string; arch: string; digest?: string } | undefined]> = [
      [["images", i], img],
      [["images", i, "kernel"], img.kernel],
      [["images", i, "initrd"], img.initrd],
    ];
    // firmware.images' files take the same checks (once)
    if (i === 0) (config.firmware.images ?? []).forEach((fw, j) => files.push([["firmware", "images", j], fw]));
    for (const [path, f] of files) {
      if (!f) continue;
      if (f.location === "") err([...path, "location"], "must be set (a URL, a local path or build:NAME)");
      if (!ARCHES.includes(f.arch)) err([...path, "arch"], `must be one of ${oneOf(ARCHES)}, got "${f.arch}"`);
      validateDigest([...path, "digest"], f.digest, ["sha256", "sha384", "sha512"], out);
      if (path[0] === "images" && path.length === 3 && f.arch !== img.arch) err([...path, "arch"], `must be the image's arch "${img.arch}", got "${f.arch}"`);
    }
  });
}

/** dns (addresses, only without hostResolver, as Lima) and caCerts.files (absolute host paths). */
function validateDnsAndCaFiles(config: Config, out: Finding[]): void {
  const err = (path: Array<string | number>, message: string) => out.push({ path, message });
  const dns = config.extra.dns;
  if (Array.isArray(dns)) {
    dns.forEach((d, i) => {
      if (isIP(asText(d)) === 0) err(["dns", i], `must be an IP address, got "${asText(d)}"`);
    });
    if (dns.length > 0 && config.hostResolver.enabled) err(["dns"], "must be empty when hostResolver.enabled is true (set hostResolver.enabled: false to use dns)");
  }

  const caFiles = (config.extra.caCerts as { files?: unknown } | undefined)?.files;
  if (Array.isArray(caFiles)) {
    caFiles.forEach((f, i) => {
      const p = asText(f);
      if (p !== "~" && !p.startsWith("~/") && !posix.isAbsolute(p)) err(["caCerts", "files", i], `must be an absolute host path or start with ~/, got "${p}"`);
    });
  }
}
