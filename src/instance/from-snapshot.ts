/**
 * New instances from a booted snapshot (`tslima start --from SNAP NAME`, `Instance.fromSnapshot`):
 * the instance gets its own copy-on-write disk over the snapshot's frozen one and the snapshot's
 * saved state as a suspended instance holds it, so its first start resumes that state (seconds)
 * instead of booting (minutes); the resume gives the guest its own hostname and clock, and its own
 * machine-id, ssh host key (made here) and MAC address (hostagent/reidentify.ts). Every file
 * taken from the snapshot is a hard link (a copy across file systems): deleting the snapshot later
 * does not harm the instance.
 *
 * The instance runs the snapshot's machine, so its lima.yaml is the snapshot's; only host-side
 * fields (CLONE_HOST_FIELDS: port forwards, the message) may differ, and it may have mounts of its
 * own when the snapshot has none: they are reverse-sshfs mounts (mountType: reverse-sshfs), which
 * need no device (a resumed machine cannot gain a 9p or virtiofs device) and are made by the resume
 * (readiness-plan.ts installs the guest's sshfs helper for them). Anything else the guest would need
 * to have booted with (provisioning, cpus, ...) is refused here with SNAPSHOT_MISMATCH.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { parseDocument } from "yaml";
import { TslimaError } from "../errors.js";
import { loadConfigText } from "../config/index.js";
import { probeHostFacts } from "../host/facts.js";
import { globalPaths, instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { copyFileAtomic, linkOrCopy, writeFileAtomic } from "../store/atomic.js";
import { ensurePrivateHome, makePrivateTempDir } from "../store/private.js";
import { requireSnapshot, type Snapshot } from "../store/snapshot.js";
import { CLONE_HOST_FIELDS } from "../store/snapshot-record.js";
import { SUSPEND_RECORD_VERSION, type SuspendRecord } from "../store/suspend-record.js";
import { diskIdentities } from "../store/suspend.js";
import { qemuImgCreateOverlay, qemuImgRebaseUnsafe } from "../qemu/index.js";
import { imageRecordPath } from "../hostagent/prepare.js";
import { writeHostResolverPort } from "../hostagent/guest-net.js";
import type { ResolvedImage } from "../images/types.js";
import { validateInstanceName } from "./names.js";
import { moveIntoPlace } from "./create.js";
import { validateSnapshotName } from "./snapshot.js";
import { generateEd25519Key } from "../ssh/key.js";
import type { MountInput, MountType, PortForwardInput } from "../config/types.js";

export interface FromSnapshotOptions {
  home?: string;
  /** The TSLIMA_HOME that holds the snapshot; default `home`. Its ssh user key must be this home's. */
  snapshotHome?: string;
  /**
   * Host-side fields of lima.yaml to set otherwise than the snapshot (CLONE_HOST_FIELDS), and
   * `mounts` of its own (made reverse-sshfs; see the file comment).
   */
  config?: SnapshotInstanceConfig;
}

/** What an instance made from a snapshot may have otherwise than the snapshot's lima.yaml. */
export interface SnapshotInstanceConfig {
  portForwards?: PortForwardInput[];
  /** The config's `message` (template variables such as {{.Name}} filled at start). */
  message?: string;
  mounts?: MountInput[];
  /** Only reverse-sshfs (the machine has no device for other mounts). */
  mountType?: MountType;
}

function mismatch(message: string, hint: string): TslimaError {
  return new TslimaError("SNAPSHOT_MISMATCH", message, { hint });
}

/** The fields that give an instance made from a snapshot mounts of its own (over reverse-sshfs). */
const OWN_MOUNT_FIELDS = ["mounts", "mountType"];

/** The snapshot's lima.yaml with the host-side fields and own mounts of `config` set. */
function cloneYaml(snapshot: Snapshot, config: Record<string, unknown>, load: (text: string) => { mounts: unknown[] }): string {
  const text = readFileSync(snapshot.paths.limaYaml, "utf8");
  const keys = Object.keys(config);
  if (keys.length === 0) return text;
  const other = keys.filter((k) => !(CLONE_HOST_FIELDS as readonly string[]).includes(k) && !OWN_MOUNT_FIELDS.includes(k));
  if (other.length > 0) {
    throw mismatch(
      `an instance made from snapshot ${snapshot.record.name} runs the snapshot's guest as it booted: ${other.join(", ")} cannot be set otherwise (only ${CLONE_HOST_FIELDS.join(", ")}, and mounts of its own)`,
      `create and boot an instance with that config instead (tslima start FILE.yaml), and take a snapshot of it (tslima snapshot create --running NAME SNAP)`,
    );
  }
  const doc = parseDocument(text);
  for (const k of keys) doc.set(k, config[k]);
  if (keys.some((k) => OWN_MOUNT_FIELDS.includes(k))) ownMounts(snapshot, config, load(text).mounts.length, doc);
  return doc.toString({ lineWidth: 0 });
}

/** Checks and completes own mounts: a snapshot without mounts, reverse-sshfs for them. */
function ownMounts(snapshot: Snapshot, config: Record<string, unknown>, snapshotMounts: number, doc: ReturnType<typeof parseDocument>): void {
  const name = snapshot.record.name;
  if (config.mountType !== undefined && config.mountType !== "reverse-sshfs") {
    throw mismatch(
      `an instance made from snapshot ${name} cannot have ${typeof config.mountType === "string" ? config.mountType : JSON.stringify(config.mountType)} mounts: they need a device its machine was not booted with`,
      "leave mountType out: its own mounts are reverse-sshfs mounts; or boot an instance with those mounts and snapshot it",
    );
  }
  if (snapshotMounts > 0) {
    throw mismatch(
      `snapshot ${name} was taken with mounts of its own (${snapshotMounts}): its instances keep them and cannot have others`,
      "take the snapshot of an instance without mounts (mounts: []) to give each instance made from it its own",
    );
  }
  const mounts = Array.isArray(config.mounts) ? config.mounts : [];
  if (mounts.length > 0) doc.set("mountType", "reverse-sshfs");
}

/**
 * Creates instance NAME from booted snapshot SNAP (see the file comment); its first start resumes
 * the snapshot's state. The directory is filled under a temporary name and renamed into place.
 */
export async function createFromSnapshot(snap: string, name: string, opts: FromSnapshotOptions = {}): Promise<InstancePaths> {
  const home = opts.home ?? tslimaHome();
  validateInstanceName(name);
  const snapshot = requireSnapshot(opts.snapshotHome ?? home, validateSnapshotName(snap));
  const { record } = snapshot;
  const final = instancePaths(home, name);
  if (existsSync(final.dir)) {
    throw new TslimaError("INSTANCE_EXISTS", `instance ${JSON.stringify(name)} already exists (${final.dir})`, { hint: "pick another name" });
  }
  let userKey: string | undefined;
  try {
    userKey = readFileSync(globalPaths(home).userPubKey, "utf8").trim();
  } catch {
    userKey = undefined;
  }
  if (userKey !== record.userKey) {
    throw mismatch(
      `snapshot ${snap}'s guest accepts the ssh user key of the TSLIMA_HOME it was taken in, ${userKey === undefined ? `and ${home} has none yet` : `not the key of ${home}`}`,
      `make instances from it in the TSLIMA_HOME of the snapshot, or give ${home} the same user key (_config/user and user.pub)`,
    );
  }
  const load = (t: string) => loadConfigText(t, final.limaYaml, { hostFacts: probeHostFacts(home), tslimaHome: home, instanceName: name }).config;
  const text = cloneYaml(snapshot, { ...opts.config }, load);
  // validated as any lima.yaml (the warnings come again at start)
  load(text);

  ensurePrivateHome(home);
  const tmpDir = makePrivateTempDir(home, `.create-${name}-`);
  const tmp = instancePaths(home, tmpDir.slice(home.length + 1));
  try {
    writeFileAtomic(tmp.limaYaml, text.endsWith("\n") ? text : `${text}\n`);
    linkOrCopy(snapshot.paths.basedisk, tmp.basedisk);
    linkOrCopy(snapshot.paths.disk, tmp.snapshotDisk);
    await qemuImgCreateOverlay(tmp.snapshotDisk, "qcow2", tmp.diffdisk, 0);
    await qemuImgRebaseUnsafe(tmp.diffdisk, "snapshotdisk", "qcow2");
    if (record.kernel) linkOrCopy(snapshot.paths.kernel, tmp.kernel);
    if (record.initrd) linkOrCopy(snapshot.paths.initrd, tmp.initrd);
    if (record.efiVars) copyFileAtomic(snapshot.paths.efiVars, tmp.efiVars); // QEMU writes it: 0600, not the snapshot's 0400
    // its own host key; the snapshot's (which the saved guest serves) until the resume replaces it
    await generateEd25519Key(tmp.hostKey, `tslima-host-${name}`, `the host key of instance ${name}`);
    copyFileAtomic(`${snapshot.paths.hostKey}.pub`, tmp.resumeHostKey);
    // the port its guest's resolver is pointed at: taken when free, the resume need not restart resolved
    if (record.hostResolverPort !== undefined) writeHostResolverPort(tmp.dir, record.hostResolverPort);
    const image: ResolvedImage = {
      disk: final.basedisk,
      diskFormat: record.baseFormat,
      ...(record.kernel ? { kernel: final.kernel } : {}),
      ...(record.initrd ? { initrd: final.initrd } : {}),
      ...(record.cmdline !== undefined ? { cmdline: record.cmdline } : {}),
      location: record.location,
    };
    writeFileAtomic(imageRecordPath(tmp), `${JSON.stringify(image, null, 2)}\n`);
    linkOrCopy(snapshot.paths.vmState, tmp.vmState);
    const state: SuspendRecord = {
      version: SUSPEND_RECORD_VERSION,
      savedAt: record.createdAt,
      qemu: record.qemu,
      argv: record.argv,
      stateBytes: record.stateBytes,
      disks: diskIdentities(tmp),
    };
    writeFileAtomic(tmp.suspendRecord, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, durable: true });
    moveIntoPlace(tmp.dir, final, "pick another name");
  } catch (e) {
    rmSync(tmp.dir, { recursive: true, force: true });
    throw e;
  }
  return final;
}
