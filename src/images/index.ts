/** Guest images: resolve images[] to local files (download, verify, cache) or build one from distro packages. */
export { fetchFile, resolveImage, type ResolveOptions } from "./resolve.js";
export type { ResolvedImage, ProgressEvent, ProgressListener } from "./types.js";
export { download, type DownloadOptions } from "./download.js";
export { buildLine, progressPrinter } from "./progress.js";
export { buildImage, buildSpec, type BuildOptions, type BuiltImage } from "./builder/index.js";
export { pruneDownloads, pruneBuilds } from "./prune.js";
