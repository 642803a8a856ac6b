import { copyFile, mkdir, readFile, readdir, rename, rmdir, writeFile } from "node:fs/promises";
import { join, dirname, resolve } from "node:path";
import { stringify } from "yaml";
import type { Arch } from "../../config/types.js";
import { TslimaError } from "../../errors.js";
import { fileDigest, formatDigest } from "../digest.js";
import type { ProgressListener } from "../types.js";
import { assembleDisk, makeEsp, makeRootFs } from "./disk.js";
import { debianMirror } from "./mirror.js";
import { hostArch, preflight, sudoBuildCommand } from "./preflight.js";
import { ensureBinfmt } from "./binfmt.js";
import { bootstrap, cleanGuest, configureGuest, mmdebstrap } from "./rootfs.js";
import { BuildLog } from "./run.js";
import { buildSpec, guestCmdline, type BuildSpec } from "./spec.js";
import { removeStaleWorkDirs, removeWorkDir } from "./workdir.js";
import { acquireLock } from "../../store/lock.js";

export { buildSpec, guestCmdline, isVariant, BUILDER_VERSION, ROOT_LABEL, VARIANTS } from "./spec.js";

export interface BuildOptions {
  name: string;
  arch: Arch;
  packages?: string[];
  /** Where the result goes; default `<cacheDir>/build/<name>-<arch>-<key>/`. */
  output?: string;
  /** buildCacheDir(): ~/.cache/tslima. */
  cacheDir: string;
  onProgress?: ProgressListener;
  env?: NodeJS.ProcessEnv;
  /** Use a finished build only; never build (IMAGE_NOT_BUILT when there is none). */
  prebuiltOnly?: boolean;
  /** Stops the build (a start interrupted): its commands are killed, its work directory removed, INTERRUPTED thrown. */
  signal?: AbortSignal;
}

export interface BuiltImage {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  imageYaml: string;
  digests: { disk: string; kernel: string; initrd: string };
  key: string;
  /** How long the build took when it ran (also for a cached result: the original build's time). */
  buildSeconds: number;
  cached: boolean;
}

/** What build.json, the completion marker, holds. It is written last, inside the directory that is renamed into place. */
interface BuildRecord {
  key: string;
  spec: BuildSpec;
  mirror: string;
  buildSeconds: number;
  steps: Record<string, number>;
  digests: BuiltImage["digests"];
  cmdline: string;
  createdAt: string;
}

/** The files of a finished build in `dir`. */
export function builtFiles(dir: string): Pick<BuiltImage, "disk" | "kernel" | "initrd" | "imageYaml"> {
  return { disk: join(dir, "disk.qcow2"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img"), imageYaml: join(dir, "image.yaml") };
}

function resultFrom(dir: string, record: BuildRecord, cached: boolean): BuiltImage {
  return {
    dir,
    ...builtFiles(dir),
    cmdline: record.cmdline,
    digests: record.digests,
    key: record.key,
    buildSeconds: record.buildSeconds,
    cached,
  };
}

/** A finished build at `dir` with this key, or undefined. */
async function completed(dir: string, key: string): Promise<BuildRecord | undefined> {
  let record: BuildRecord;
  try {
    record = JSON.parse(await readFile(join(dir, "build.json"), "utf8")) as BuildRecord;
  } catch {
    return undefined;
  }
  if (record.key !== key) {
    throw new TslimaError("IMAGE_BUILD_OUTPUT", `${dir} holds a different build (key ${record.key}, wanted ${key})`, {
      hint: "remove that directory or pass another --output",
    });
  }
  return record;
}

/** The default output directory of a build. */
export function buildOutputDir(cacheDir: string, spec: BuildSpec): string {
  return join(cacheDir, "build", spec.dirName);
}

/**
 * Builds a guest image from distro packages, or returns the cached build with the same inputs at once.
 * Work happens in a sibling `.tmp-*` directory that is renamed into place when complete, so a killed
 * build never leaves something that looks finished.
 */
export async function buildImage(opts: BuildOptions): Promise<BuiltImage> {
  const spec = buildSpec(opts.name, opts.arch, opts.packages ?? []);
  const dir = resolve(opts.output ?? buildOutputDir(opts.cacheDir, spec));
  const emit = opts.onProgress ?? (() => {});
  const hit = await completed(dir, spec.key);
  if (hit) {
    emit({ type: "build-done", dir, seconds: hit.buildSeconds, cached: true });
    return resultFrom(dir, hit, true);
  }
  if (opts.prebuiltOnly) {
    throw new TslimaError("IMAGE_NOT_BUILT", `${opts.name} is not built (no ${dir})`, {
      hint: `build it beforehand: \`${sudoBuildCommand(opts.name, opts.arch)}\``,
    });
  }
  preflight(opts.arch, spec.bootstrapper, opts.env);
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const release = await lock(`${dir}.lock`, emit, opts.signal);
  try {
    const again = await completed(dir, spec.key); // another process may have finished it meanwhile
    if (again) {
      emit({ type: "build-done", dir, seconds: again.buildSeconds, cached: true });
      return resultFrom(dir, again, true);
    }
    await removeEmptyDir(dir);
    removeStaleWorkDirs(parent);
    return await buildInto(dir, spec, opts);
  } finally {
    release();
  }
}

async function buildInto(dir: string, spec: BuildSpec, opts: BuildOptions): Promise<BuiltImage> {
  const emit = opts.onProgress ?? (() => {});
  const mirror = debianMirror(spec.suite, opts.env);
  const parent = dirname(dir);
  const work = join(parent, `.tmp-${spec.dirName}-${process.pid}`);
  const root = join(work, "root");
  const out = join(work, "out");
  const log = new BuildLog(join(parent, `${spec.dirName}.log`), opts.signal);
  const started = Date.now();
  const steps: Record<string, number> = {};
  const step = async (name: string, message: string, fn: () => Promise<void>) => {
    log.checkStopped();
    emit({ type: "build-step", step: name, message });
    log.write(`\n=== ${name}: ${message}\n`);
    const t = Date.now();
    await fn();
    steps[name] = Math.round((Date.now() - t) / 100) / 10;
  };
  try {
    await mkdir(out, { recursive: true });
    log.write(`tslima image build ${spec.name} ${spec.arch} key ${spec.key} from ${mirror}\n`);
    const foreign = hostArch() !== spec.arch;
    if (foreign) await ensureBinfmt(log, spec.arch);
    const emulated = foreign ? " (maintainer scripts under QEMU user-mode emulation)" : "";
    await step("bootstrap", `${spec.bootstrapper} ${spec.suite} ${spec.debianArch} from ${mirror}${emulated}`, () =>
      spec.bootstrapper === "mmdebstrap"
        ? mmdebstrap(log, spec, root, mirror, join(opts.cacheDir, "debs"), join(work, "before-packages"))
        : bootstrap(log, spec, root, mirror, join(opts.cacheDir, "debs"), foreign),
    );
    await step("configure", "configuring the guest (initramfs, services, first-boot identity)", async () => {
      await configureGuest(log, spec, root, mirror);
      await cleanGuest(log, root);
    });
    const kernel = join(out, "vmlinuz");
    const initrd = join(out, "initrd.img");
    let rootMiB = 0;
    let espMiB = 0;
    await step("filesystems", "making the root file system (mke2fs -d) and the EFI system partition", async () => {
      const version = await kernelVersion(root);
      await copyFile(join(root, "boot", `vmlinuz-${version}`), kernel);
      await copyFile(join(root, "boot", `initrd.img-${version}`), initrd);
      rootMiB = await makeRootFs(log, root, join(work, "root.ext4"));
      espMiB = await makeEsp(log, {
        image: join(work, "esp.fat"),
        workDir: work,
        bootEfi: join(root, "usr/lib/systemd/boot/efi", spec.efi.systemdBoot),
        removableName: spec.efi.removable,
        kernel,
        initrd,
        title: `tslima ${spec.name} (${version})`,
        arch: spec.arch,
      });
    });
    removeWorkDir(root);
    await step("disk", "assembling the GPT disk and converting it to qcow2", () =>
      assembleDisk(log, {
        esp: join(work, "esp.fat"),
        espMiB,
        rootFs: join(work, "root.ext4"),
        rootMiB,
        raw: join(work, "disk.raw"),
        qcow2: join(out, "disk.qcow2"),
        arch: spec.arch,
      }),
    );
    const digests = {
      disk: formatDigest(await fileDigest(join(out, "disk.qcow2"))),
      kernel: formatDigest(await fileDigest(kernel)),
      initrd: formatDigest(await fileDigest(initrd)),
    };
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
    const record: BuildRecord = {
      key: spec.key,
      spec,
      mirror,
      buildSeconds,
      steps,
      digests,
      cmdline: guestCmdline(spec.arch),
      createdAt: new Date().toISOString(),
    };
    await writeFile(join(out, "image.yaml"), imageYaml(dir, spec, record));
    await writeFile(join(out, "build.json"), JSON.stringify(record, null, 2) + "\n");
    await rename(out, dir);
    log.write(`\nbuilt ${dir} in ${buildSeconds} s\n`);
    emit({ type: "build-done", dir, seconds: buildSeconds, cached: false });
    return resultFrom(dir, record, false);
  } finally {
    await log.close();
    removeWorkDir(work);
  }
}

/** Pure: the `images:` snippet a template can use for this build. */
export function imageYaml(dir: string, spec: BuildSpec, record: Pick<BuildRecord, "digests" | "cmdline" | "buildSeconds">): string {
  const doc = {
    images: [
      {
        location: join(dir, "disk.qcow2"),
        arch: spec.arch,
        digest: record.digests.disk,
        kernel: { location: join(dir, "vmlinuz"), digest: record.digests.kernel, cmdline: record.cmdline },
        initrd: { location: join(dir, "initrd.img"), digest: record.digests.initrd },
      },
    ],
  };
  return (
    `# tslima image build ${spec.name} --arch ${spec.arch} (key ${spec.key}, ` +
    `built in ${record.buildSeconds} s). The disk also boots through UEFI firmware without the kernel entries.\n` +
    stringify(doc)
  );
}

async function kernelVersion(root: string): Promise<string> {
  const names = (await readdir(join(root, "boot"))).filter((n) => n.startsWith("vmlinuz-")).sort();
  const last = names[names.length - 1];
  if (!last) throw new TslimaError("IMAGE_BUILD_FAILED", "debootstrap installed no kernel (no /boot/vmlinuz-*)");
  return last.slice("vmlinuz-".length);
}

async function removeEmptyDir(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    throw new TslimaError("IMAGE_BUILD_OUTPUT", `${dir} exists and is not an image build`, {
      hint: "remove that directory or pass another --output",
    });
  }
}

/** An exclusive lock file holding our pid (see store/lock); waits while a live process holds it, takes over a dead one's. */
async function lock(path: string, emit: ProgressListener, signal: AbortSignal | undefined): Promise<() => void> {
  const held = await acquireLock(path, {
    timeoutMs: Infinity,
    ...(signal ? { signal } : {}),
    pollMs: 3000,
    onWait: (holder) => emit({ type: "build-step", step: "wait", message: `waiting for the build in process ${holder} (${path})` }),
  });
  return () => held.release();
}
