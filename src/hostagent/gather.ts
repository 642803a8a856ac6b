/**
 * The host agent's first phase: everything a boot plan is made from, read or prepared on the host
 * (config, additional disks, the image and the instance disk, keys, ssh port, QEMU, virtiofsd, the
 * cidata marker, a saved state, a QEMU left running by an agent that died). All the I/O before planBoot happens here.
 */
import { readFileSync } from "node:fs";
import type { Config, HostFacts } from "../config/types.js";
import { loadConfigText } from "../config/index.js";
import { probeHostFacts } from "../host/facts.js";
import { imageCandidates } from "../config/images.js";
import { buildLine, resolveImage } from "../images/index.js";
import type { ProgressEvent, ResolvedImage } from "../images/types.js";
import { audioPlan, probeAudioBackends, probeQemu } from "../qemu/index.js";
import { wantsAudio } from "../config/audio.js";
import { userFirmware } from "./firmware.js";
import { ensureHostKey, ensureUserKey } from "../ssh/index.js";
import { findVirtiofsd } from "../mounts/index.js";
import { SFTP_UNCONFINED_ENV } from "../mounts/sftp-confine.js";
import { additionalDisks } from "../disks/plan.js";
import { hostProxyEnv } from "../cidata/proxy-env.js";
import { containerdArchive } from "./containerd.js";
import { wantsContainerd } from "../config/containerd.js";
import { readCaCertFiles } from "./ca-files.js";
import { buildCacheDir, type InstancePaths } from "../store/paths.js";
import { writeShellFacts } from "../store/shell-facts.js";
import { attachDisks, releaseDisks } from "./disks.js";
import { checkPreparedDisk, chooseSshPort, diskPrepared, prepareDisk, readImageRecord, sshPublicKeys, takeReadyCidata } from "./prepare.js";
import { needsVirtiofsd, type BootHost } from "./plan.js";
import { readSavedState } from "./resume.js";
import { findOrphanQemu, orphanSshPort } from "./attach.js";
import { ensureVmGenId } from "./reidentify.js";
import type { Reporter } from "./agent-io.js";
import type { OnClose } from "./on-close.js";
import { loadNetworks, userV2Network } from "../network/config.js";
import type { UserNetwork } from "./networks-plan.js";
import type { HostResolver } from "./host-resolver.js";
import { startHostResolver } from "./guest-net.js";
import { hostResolverActive } from "./readiness-plan.js";

/** What the gather phase works with. */
export interface GatherContext {
  paths: InstancePaths;
  home: string;
  report: Reporter;
  onClose: OnClose;
  /** Throws when the start is stopped. */
  interrupt(): void;
  /** Aborts when the start is stopped: ends long work (an image build) early. */
  stop: AbortSignal;
}

/** The gathered facts: the config, and the host as planBoot takes it. */
export interface Gathered {
  config: Config;
  host: BootHost;
  /** hostResolver: the agent's DNS server, listening (its port is host.hostResolverPort). */
  hostResolver?: HostResolver;
}

/** A download's progress (the image's, containerd's archive) as the agent's progress event. */
function emitDownload(report: Reporter, p: Extract<ProgressEvent, { type: "download-progress" }>): void {
  report.emit({ kind: "progress", progress: { done: p.receivedBytes, ...(p.totalBytes ? { total: p.totalBytes } : {}) } });
}

/** Loads lima.yaml (its warnings announced) and writes what `shell` reads instead of it. */
function loadConfig(c: GatherContext, hostFacts: HostFacts): Config {
  const { paths } = c;
  const text = readFileSync(paths.limaYaml, "utf8");
  const { config, warnings } = loadConfigText(text, paths.limaYaml, { hostFacts, tslimaHome: c.home, instanceName: paths.name });
  for (const w of warnings) c.report.warn(w);
  // Before QEMU starts (so before the instance can be Running): what `shell` reads instead of lima.yaml.
  writeShellFacts(paths, { home: config.user.home, mounts: config.mounts });
  return config;
}

/** The image as booted: resolved and made into the instance disk on the first start, else checked. */
async function ensureDisk(c: GatherContext, config: Config): Promise<{ image: ResolvedImage; firstStart: boolean }> {
  const { paths, report } = c;
  const recorded = readImageRecord(paths);
  if (recorded !== undefined && diskPrepared(paths)) {
    report.step("prepare-disk", "Using the existing disk");
    checkPreparedDisk(paths, recorded);
    return { image: recorded, firstStart: false };
  }
  const candidates = imageCandidates(config).map((i) => i.location);
  report.step("resolve-image", `Resolving the ${config.arch} image (${candidates.join(", ")})`);
  const resolved = await resolveImage(config, {
    tslimaHome: c.home,
    buildCacheDir: buildCacheDir(),
    onProgress: (p) => {
      if (p.type === "download-progress") emitDownload(report, p);
      else if (p.type === "warning") report.warn(p.message);
      // a build at start (a variant such as build:debian-12-docker the first time): its phases as `image build` shows them
      else if (p.type === "build-step" || (p.type === "build-done" && !p.cached)) report.say(buildLine(p));
    },
    signal: c.stop,
  });
  c.interrupt();
  report.step("prepare-disk", `Creating the disk (${config.disk}) over ${resolved.disk}`);
  return { image: await prepareDisk(config, paths, resolved), firstStart: true };
}

/** The user-v2 networks lima.yaml names, from networks.yaml; an unknown or unsupported one fails the start here. */
async function gatherNetworks(c: GatherContext, config: Config): Promise<Record<string, UserNetwork>> {
  const named = config.networks.flatMap((n, i) => (n.lima !== undefined ? [{ name: n.lima, i }] : []));
  if (named.length === 0) return {};
  const file = await loadNetworks(c.home);
  const out: Record<string, UserNetwork> = {};
  for (const { name, i } of named) {
    const n = userV2Network(file, name, `networks[${i}].lima in ${c.paths.limaYaml}`);
    out[name] = { name, gateway: n.gateway, netmask: n.netmask };
  }
  return out;
}

/** Gathers config, disks, image, keys and host facts (see the file comment). */
export async function gather(c: GatherContext): Promise<Gathered> {
  const { paths, report } = c;
  const facts = probeHostFacts();
  const config = loadConfig(c, facts);
  const networks = await gatherNetworks(c, config);
  const hr = config.hostResolver;
  const hostResolver = hostResolverActive(config) ? await startHostResolver({ hosts: hr.hosts, ipv6: hr.ipv6 }, c.paths, c.onClose, (m) => c.report.log(m)) : undefined;
  // additionalDisks: locked first, so a disk another instance uses refuses the start before any work
  const disks = await attachDisks(c.home, paths.dir, additionalDisks(config));
  c.onClose.add("additional disks", () => releaseDisks(c.home, paths.dir, disks));
  const { image, firstStart } = await ensureDisk(c, config);
  c.interrupt();

  report.step("user-key", "Ensuring the ssh user key and the guest's pinned host key");
  const key = await ensureUserKey(c.home);
  const hostKey = await ensureHostKey(paths);
  // An instance made before tslima pinned host keys: its guest is re-keyed by cloud-init on this boot.
  if (hostKey.created && !firstStart) report.say(`Generated an ssh host key for ${paths.name}, pinned in ${paths.knownHosts}; the guest takes it on this boot`);
  const savedState = readSavedState(paths);
  const saved = savedState.saved;
  // a QEMU whose agent died still runs: plan with its ssh port (the plan decides whether to re-attach)
  const orphan = findOrphanQemu(paths);
  const sshPort = orphanSshPort(orphan, config) ?? (await chooseSshPort(config, saved && "record" in saved ? saved.record.sshPort : undefined));
  const qemu = await probeQemu(config.arch, facts);
  if (qemu.accelWarning) report.warn(qemu.accelWarning);
  const fw = image.kernel === undefined && !(config.firmware.legacyBIOS && config.arch === "x86_64") ? await userFirmware(config, paths, c.home, (m) => report.warn(m)) : undefined;
  if (fw !== undefined) {
    qemu.firmware = { code: fw, vars: "", codeOnly: true };
    report.say(`Using the firmware of firmware.images (${fw})`);
  }
  if (wantsAudio(config)) {
    qemu.audioBackends = await probeAudioBackends(qemu.binary);
    const audio = audioPlan(config, qemu, facts.os, paths).warning;
    if (audio !== undefined) report.warn(audio);
  }
  const virtiofsd = needsVirtiofsd(config) ? findVirtiofsd() : undefined;
  if (wantsContainerd(config)) report.say(`Fetching the nerdctl-full archive for ${config.arch} (containerd.archives)`);
  const containerd = await containerdArchive(config, c.home, (m) => report.warn(m), (p) => {
    if (p.type === "download-progress") emitDownload(report, p);
  });
  const host: BootHost = {
    facts,
    qemu,
    image,
    sshPort,
    sshIdentityFile: key.privateKeyPath,
    sshPublicKeys: sshPublicKeys(config, key.publicKey),
    hostKey,
    vmgenid: ensureVmGenId(paths),
    ...(virtiofsd ? { virtiofsd } : {}),
    sftpUnconfined: process.env[SFTP_UNCONFINED_ENV] === "1",
    proxyEnv: hostProxyEnv(process.env),
    caCertFiles: readCaCertFiles(config, facts.home, paths.limaYaml),
    ...(containerd ? { containerdArchive: containerd } : {}),
    disks,
    freshDisk: firstStart,
    // The cidata the guest saw at its last READY (the marker is taken: a boot that fails leaves none).
    readyCidata: takeReadyCidata(paths),
    savedState,
    ...(orphan ? { orphan } : {}),
    networks,
    ...(hostResolver ? { hostResolverPort: hostResolver.port } : {}),
  };
  return { config, host, ...(hostResolver ? { hostResolver } : {}) };
}
