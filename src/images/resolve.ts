import type { Arch, Config, Image } from "../config/types.js";
import { TslimaError, isTslimaError } from "../errors.js";
import { imageCandidates } from "../config/images.js";
import { globalPaths } from "../store/paths.js";
import { buildImage, isVariant, type BuildOptions, type BuiltImage } from "./builder/index.js";
import { hostArch, sudoBuildCommand } from "./builder/preflight.js";
import { download } from "./download.js";
import { diskFormat } from "./image-head.js";
import { checkLocalFile, localPath } from "./local.js";
import type { ProgressListener, ResolvedImage } from "./types.js";

export interface ResolveOptions {
  tslimaHome: string;
  /** buildCacheDir(): where `build:NAME` images are built and cached. */
  buildCacheDir: string;
  onProgress?: ProgressListener;
  /** Plain relative paths in images[] are relative to this (default: the process's cwd). */
  cwd?: string;
  /** Replaces the local image builder (tests). */
  build?: (opts: BuildOptions) => Promise<BuiltImage>;
  /** Stops a local build in progress (the start was interrupted). */
  signal?: AbortSignal;
}

const BUILD_SCHEME = "build:";

/**
 * The first `images[]` entry for the configured arch that can be had, as local files: downloaded
 * (cached), a local path, or a local build (`build:debian-12`). Entries are tried in order, as Lima
 * does; a failing entry is reported as a warning and the next one is tried.
 */
export async function resolveImage(config: Pick<Config, "arch" | "images">, opts: ResolveOptions): Promise<ResolvedImage> {
  const emit = opts.onProgress ?? (() => {});
  const candidates = imageCandidates(config);
  const failures: string[] = [];
  for (const [i, image] of candidates.entries()) {
    try {
      return await resolveEntry(image, config.arch, opts);
    } catch (e) {
      if (isTslimaError(e) && STOPS_THE_SEARCH.has(e.code)) throw e;
      const why = e instanceof Error ? e.message : String(e);
      failures.push(`${image.location}: ${why}`);
      if (i < candidates.length - 1) emit({ type: "warning", message: `${why}; trying the next image` });
    }
  }
  throw new TslimaError(
    "IMAGE_UNAVAILABLE",
    `no image for ${config.arch} could be fetched:\n${failures.map((f) => `  - ${f}`).join("\n")}`,
    {
      hint: "check the network or the locations and digests in images[] of lima.yaml; an entry `location: build:debian-12` builds a guest locally",
    },
  );
}

/**
 * Errors that end the search instead of trying the next entry: a variant this user cannot build here
 * (the next entries would boot a guest without what the template chose it for), and an interruption.
 */
const STOPS_THE_SEARCH: ReadonlySet<string> = new Set(["ERR_TSLIMA_IMAGE_NOT_BUILT", "ERR_TSLIMA_INTERRUPTED"]);

/** Errors of a build's preflight: something the user lacks (root, a tool), found before any work. */
const LACKS: ReadonlySet<string> = new Set(["ERR_TSLIMA_IMAGE_BUILD_ROOT", "ERR_TSLIMA_IMAGE_BUILD_TOOLS"]);

/**
 * Pure: what a start says when `build:NAME` (a variant) is not built and this user cannot build it:
 * the image, why, and the command that builds it once.
 */
export function variantNotBuilt(name: string, arch: Arch, host: Arch | undefined, lack: TslimaError): TslimaError {
  const command = sudoBuildCommand(name, arch, host);
  const fix = lack.code === "ERR_TSLIMA_IMAGE_BUILD_TOOLS" && lack.hint !== undefined ? `${lack.hint}, then ` : "";
  return new TslimaError("IMAGE_NOT_BUILT", `build:${name} (${arch}) is not built yet, and this start cannot build it: ${lack.message}`, {
    hint: `${fix}build it once with \`${command}\` (minutes; cached afterwards), then start again`,
  });
}

async function resolveEntry(image: Image, arch: Arch, opts: ResolveOptions): Promise<ResolvedImage> {
  if (image.location.startsWith(BUILD_SCHEME)) {
    const build = opts.build ?? buildImage;
    const name = image.location.slice(BUILD_SCHEME.length);
    // a missing build is made here and now, a variant (build:debian-12-docker) too; waits for a build
    // of the same image by another process (the builder's lock) and uses it
    const built = await build({
      name,
      arch,
      cacheDir: opts.buildCacheDir,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    }).catch((e: unknown) => {
      if (isVariant(name) && isTslimaError(e) && LACKS.has(e.code)) throw variantNotBuilt(name, arch, hostArch(), e);
      throw e;
    });
    return {
      disk: built.disk,
      diskFormat: "qcow2",
      kernel: built.kernel,
      initrd: built.initrd,
      cmdline: image.kernel?.cmdline ?? built.cmdline,
      location: image.location,
    };
  }
  const disk = await fetchFile(image.location, image.digest, opts);
  const out: ResolvedImage = { disk, diskFormat: await diskFormat(disk), location: image.location };
  if (image.kernel) {
    out.kernel = await fetchFile(image.kernel.location, image.kernel.digest, opts);
    if (image.kernel.cmdline !== undefined) out.cmdline = image.kernel.cmdline;
    if (image.initrd) out.initrd = await fetchFile(image.initrd.location, image.initrd.digest, opts);
  }
  return out;
}

/** One file of an image entry as a local path: the file itself for local locations, else a cached download. */
export async function fetchFile(location: string, digest: string | undefined, opts: Pick<ResolveOptions, "tslimaHome" | "onProgress" | "cwd">): Promise<string> {
  const local = localPath(location, opts.cwd ?? process.cwd());
  if (local !== undefined) return checkLocalFile(local, location, digest);
  if (!/^https?:\/\//i.test(location)) {
    throw new TslimaError("IMAGE_LOCATION", `${location}: unsupported location`, {
      hint: "images[].location takes an http(s) URL, a file:// URL, a path, or build:debian-12",
    });
  }
  const got = await download(location, {
    cacheDir: globalPaths(opts.tslimaHome).downloadCache,
    ...(digest ? { digest } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return got.path;
}
