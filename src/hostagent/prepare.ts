import { existsSync, readFileSync, rmSync } from "node:fs";
import { copyFileAtomic, writeFileAtomic } from "../store/atomic.js";
import { homedir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { readdirSync } from "node:fs";
import { TslimaError } from "../errors.js";
import type { Config } from "../config/types.js";
import { parseSize } from "../config/index.js";
import type { ResolvedImage } from "../images/types.js";
import { checkUntrustedImage, qemuImgCreateOverlay, findFreePort } from "../qemu/index.js";
import { isoImage, parseReadyMarker, readyMarkerText } from "../cidata/index.js";
import type { InstancePaths } from "../store/paths.js";

/** The image as booted the first time, kept so later starts use the same kernel as the disk's modules. */
export function imageRecordPath(paths: InstancePaths): string {
  return join(paths.dir, "image.json");
}

export function readImageRecord(paths: InstancePaths): ResolvedImage | undefined {
  try {
    return JSON.parse(readFileSync(imageRecordPath(paths), "utf8")) as ResolvedImage;
  } catch {
    return undefined;
  }
}

/** Whether the instance disk already exists (it is only prepared on the first start). */
export function diskPrepared(paths: InstancePaths): boolean {
  return existsSync(paths.diffdisk) && readImageRecord(paths) !== undefined;
}

function copyInto(src: string, dest: string): void {
  if (!existsSync(src)) {
    throw new TslimaError("IMAGE_MISSING", `image file ${src} does not exist`, {
      hint: "check images[].location in lima.yaml, or rebuild the local image",
    });
  }
  copyFileAtomic(src, dest);
}

/**
 * First start only: basedisk = copy of the image (as Lima does), diffdisk = qcow2 overlay of the
 * configured size over it; kernel and initrd are copied next to it. Returns the image to boot from.
 */
export async function prepareDisk(config: Config, paths: InstancePaths, image: ResolvedImage): Promise<ResolvedImage> {
  copyInto(image.disk, paths.basedisk);
  // The image comes from outside (a template, a download, a local file): the copy QEMU will boot is
  // checked, so a file swapped after the check changes nothing. Refused: no basedisk is left.
  let diskFormat: ResolvedImage["diskFormat"];
  try {
    diskFormat = await checkUntrustedImage(paths.basedisk, { name: image.location, path: image.disk });
  } catch (e) {
    rmSync(paths.basedisk, { force: true });
    throw e;
  }
  const booted: ResolvedImage = { ...image, disk: paths.basedisk, diskFormat };
  if (image.kernel !== undefined) {
    copyInto(image.kernel, paths.kernel);
    booted.kernel = paths.kernel;
  }
  if (image.initrd !== undefined) {
    copyInto(image.initrd, paths.initrd);
    booted.initrd = paths.initrd;
  }
  rmSync(paths.diffdisk, { force: true });
  await qemuImgCreateOverlay(paths.basedisk, diskFormat, paths.diffdisk, parseSize(config.disk));
  writeFileAtomic(imageRecordPath(paths), `${JSON.stringify(booted, null, 2)}\n`);
  return booted;
}

/** Checks that the files of a prepared disk are still there. */
export function checkPreparedDisk(paths: InstancePaths, image: ResolvedImage): void {
  for (const f of [paths.diffdisk, paths.basedisk, image.kernel, image.initrd]) {
    if (f !== undefined && !existsSync(f)) {
      throw new TslimaError("DISK_MISSING", `disk file ${f} of instance ${paths.name} is missing`, {
        hint: `delete and recreate the instance: tslima delete ${paths.name}`,
      });
    }
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** ssh.localPort when set (must be free), else `preferred` when free (a resume's port), else a free port. */
export async function chooseSshPort(config: Config, preferred?: number): Promise<number> {
  const wanted = config.ssh.localPort;
  if (wanted > 0) {
    if (!(await portIsFree(wanted))) {
      throw new TslimaError("PORT_IN_USE", `ssh.localPort ${wanted} is already in use on 127.0.0.1`, {
        hint: "set ssh.localPort to another port, or to 0 for a free one, in lima.yaml",
      });
    }
    return wanted;
  }
  if (preferred !== undefined && (await portIsFree(preferred))) return preferred;
  return findFreePort();
}

/** The user key plus ~/.ssh/*.pub when ssh.loadDotSSHPubKeys is set. */
export function sshPublicKeys(config: Config, userPublicKey: string): string[] {
  const keys = [userPublicKey.trim()];
  if (config.ssh.loadDotSSHPubKeys) {
    const dir = join(homedir(), ".ssh");
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".pub"));
    } catch {
      // no ~/.ssh
    }
    for (const n of names.sort()) {
      try {
        keys.push(readFileSync(join(dir, n), "utf8").trim());
      } catch {
        // unreadable key: skipped
      }
    }
  }
  return keys;
}

/**
 * Writes the instance's cidata.iso from the plan's files and the host files it names (containerd's
 * archive); it holds the guest's private host key: mode 0600.
 */
export function writeCidata(paths: InstancePaths, files: Record<string, string>, hostFiles: Record<string, string> = {}): void {
  const all: Record<string, string | Buffer> = { ...files };
  for (const [name, path] of Object.entries(hostFiles)) all[name] = readFileSync(path);
  writeFileAtomic(paths.cidataIso, isoImage("cidata", all), 0o600);
}

/**
 * The cidata digest recorded by the last boot that reached READY, and forgets it: a boot that does
 * not reach READY leaves none, so the start after it runs cloud-init in full (cidata/boot-mode.ts).
 */
export function takeReadyCidata(paths: InstancePaths): string | undefined {
  let text: string | undefined;
  try {
    text = readFileSync(paths.cidataReady, "utf8");
  } catch {
    return undefined;
  }
  rmSync(paths.cidataReady, { force: true });
  return parseReadyMarker(text);
}

/** Records that a boot with this cidata reached READY (the next boot with the same cidata may be light). */
export function recordReadyCidata(paths: InstancePaths, digest: string): void {
  writeFileAtomic(paths.cidataReady, readyMarkerText(digest));
}
