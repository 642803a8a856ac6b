/**
 * Lima's `snapshot create|apply|delete|list NAME --tag TAG`: internal qcow2 snapshots of one
 * instance's diffdisk, taken with `qemu-img snapshot` while the instance is stopped. A running
 * instance is refused (Lima uses QMP savevm there, which QEMU refuses while a 9p share is mounted);
 * tslima's booted snapshots (instance/snapshot.ts, no --tag) are the way to snapshot a running VM.
 * A suspended instance may take and delete tags (its saved state stays resumable), not apply one.
 */
import { existsSync, rmSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { qemuImgInfo, qemuImgSnapshot, type ImageSnapshot } from "../qemu/index.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { rerecordDiskIdentities } from "../store/suspend.js";
import { requireInstance } from "./lookup.js";

export type TagOp = "create" | "apply" | "delete";

export interface TagSnapshotOptions {
  home?: string;
}

function checkTag(tag: string): void {
  if (tag === "" || /\s/.test(tag) || tag.startsWith("-")) {
    throw new TslimaError("SNAPSHOT_TAG", `snapshot tag ${JSON.stringify(tag)} is not usable`, { hint: "pass --tag with a non-empty name without spaces, e.g. --tag before-upgrade" });
  }
}

/** A stopped instance's paths; Running, Broken and Suspended are refused with what to do. */
function stoppedInstance(home: string, name: string, op: TagOp): InstancePaths {
  const paths = requireInstance(home, name);
  const st = inspectStatus(paths).status;
  if (st === "Running" || st === "Broken") {
    throw new TslimaError("INSTANCE_RUNNING", `cannot ${op} snapshot of instance ${name}: it is ${st}; snapshot --tag works on a stopped instance in tslima`, {
      hint: `stop it first: limactl stop ${name} (QEMU refuses savevm while a 9p share is mounted; for a running VM take a booted snapshot: tslima snapshot create --running ${name} SNAP)`,
    });
  }
  if (st === "Suspended" && op === "apply") {
    throw new TslimaError("INSTANCE_RUNNING", `cannot apply a snapshot to instance ${name}: it is Suspended and its saved state belongs to the current disk`, {
      hint: `start it and stop it (limactl start ${name} && limactl stop ${name}), then apply the snapshot`,
    });
  }
  return paths;
}

/** The internal snapshots of the instance's disk (also while it runs: the image is read shared). */
export async function listTagSnapshots(name: string, opts: TagSnapshotOptions = {}): Promise<ImageSnapshot[]> {
  const paths = requireInstance(opts.home ?? tslimaHome(), name);
  if (!existsSync(paths.diffdisk)) return [];
  return (await qemuImgInfo(paths.diffdisk, { shared: true })).snapshots ?? [];
}

/**
 * `snapshot create|apply|delete NAME --tag TAG` on a stopped instance. create refuses a tag that
 * exists, apply and delete one that does not; after apply the next start runs cloud-init in full
 * (the disk went back to a state that may predate the current configuration).
 */
export async function tagSnapshot(op: TagOp, name: string, tag: string, opts: TagSnapshotOptions = {}): Promise<void> {
  checkTag(tag);
  const paths = stoppedInstance(opts.home ?? tslimaHome(), name, op);
  if (!existsSync(paths.diffdisk)) {
    throw new TslimaError("SNAPSHOT_TAG", `instance ${name} has no disk yet: it has never been started`, { hint: `start it once first: limactl start ${name}` });
  }
  const tags = ((await qemuImgInfo(paths.diffdisk)).snapshots ?? []).map((s) => s.tag);
  if (op === "create" && tags.includes(tag)) {
    throw new TslimaError("SNAPSHOT_TAG", `instance ${name} already has a snapshot tagged ${tag}`, { hint: `pick another tag, or delete it: limactl snapshot delete ${name} --tag ${tag}` });
  }
  if (op !== "create" && !tags.includes(tag)) {
    throw new TslimaError("SNAPSHOT_TAG", `instance ${name} has no snapshot tagged ${tag}`, { hint: tags.length > 0 ? `its tags: ${tags.join(", ")}` : `it has none; take one: limactl snapshot create ${name} --tag ${tag}` });
  }
  const suspended = inspectStatus(paths).status === "Suspended";
  await qemuImgSnapshot(op, paths.diffdisk, tag);
  if (op === "apply") rmSync(paths.cidataReady, { force: true });
  // an internal snapshot taken or deleted leaves the disk the guest sees as it was: the saved state
  // still belongs to it (a kill before this line only costs the resume: the start boots instead)
  else if (suspended) rerecordDiskIdentities(paths);
}
