import type { Arch, Config, Image } from "../config/types.js";
import { TslimaError } from "../errors.js";
import { imageCandidates } from "../config/images.js";
import { globalPaths } from "../store/paths.js";
import { buildImage, isVariant, type BuildOptions, type BuiltImage } from "./builder/index.js";
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

async function resolveEntry(image: Image, arch: Arch, opts: ResolveOptions): Promise<ResolvedImage> {
  if (image.location.startsWith(BUILD_SCHEME)) {
    const build = opts.build ?? buildImage;
    const name = image.location.slice(BUILD_SCHEME.length);
    const built = await build({
      name,
      arch,
      // a variant (build:debian-12-docker) is built beforehand or skipped, never built at start
      prebuiltOnly: isVariant(name),
      cacheDir: opts.buildCacheDir,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
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
