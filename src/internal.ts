// What tslima's own CLI (src/cli) uses of the library: the public API (src/index.ts) and, not part
// of it, the name-keyed operations the other commands call, their presentation helpers (tables,
// list formats, yq), templates, disks, images and caches. Not in package.json "exports"; the lint
// (dependency-cruiser) keeps src/cli to the library's entries (ENTRIES), this one among them.
export * from "./index.js";

// The CLI's requests: create/start with its --set expressions and flag names (src/cli/overrides.ts).
export { createRequested, hasOverrides, type CreateRequest } from "./instance/create.js";
export { startRequested, type StartRequest } from "./instance/start.js";
export type { OverrideNames } from "./instance/overrides.js";
export { trySize } from "./config/sizes.js";

// Configuration and templates, as the CLI shows them.
export { formatIssue } from "./config/errors.js";
export { configToYaml } from "./config/output.js";
export { parseYq, evalYq, yqSelects, formatYqResults, YqError, type YqProgram } from "./lang/yq.js";
export { listTemplates, templateSearchDirs, type TemplateEntry } from "./config/templates.js";
export { locateTemplate, templateText, copyTemplate } from "./config/template-files.js";
export { resolveCustomLocator } from "./config/url-plugins.js";
export { resolveGithubLocator } from "./config/github-io.js";

// Operations keyed by instance name that only the CLI offers.
export { tslimaHome, buildCacheDir, globalPaths, instancePaths } from "./store/paths.js";
export { removeSnapshot, snapshots } from "./instance/snapshot.js";
export { tagSnapshot, listTagSnapshots } from "./instance/tag-snapshot.js";
export { createDisk, importDisk, listDisks, deleteDisk, resizeDisk, unlockDisk } from "./instance/disk.js";
export { networkJson, cidrOf } from "./instance/network.js";
export { setProtected } from "./instance/protect.js";
export { enableAutostart, disableAutostart, type AutostartResult } from "./instance/autostart.js";
export { renameInstance, factoryReset } from "./instance/clone.js";
export { editInstanceApi as editInstance, editInEditor } from "./instance/edit.js";
export { inventory } from "./instance/inventory.js";
export { showSsh } from "./instance/show-ssh.js";
export { screenshot } from "./instance/screenshot.js";
export { limaInstanceJson, renderInstances, checkListFormat, bytesSize, LIST_FIELDS } from "./instance/lima-view.js";
export { startTunnel, stopTunnel } from "./instance/tunnel.js";
export { formatWatchText, formatWatchJson } from "./instance/watch-event.js";
export { doctorMounts } from "./instance/doctor.js";
export { benchMounts } from "./instance/bench.js";
export { WORKLOADS as BENCH_WORKLOADS, WORKLOAD_UNIT as BENCH_WORKLOAD_UNIT, unsafeForSharedWrites, type BenchReport, type BenchRun } from "./mounts/bench.js";
export { doctorTable, type DoctorReport, type Check as DoctorCheck, type CheckName as DoctorCheckName } from "./mounts/doctor.js";

// Guest images: local builds and the caches.
export { buildImage } from "./images/builder/index.js";
export { hostArch } from "./images/builder/preflight.js";
export { progressPrinter as imageProgressPrinter, formatBytes } from "./images/progress.js";
export { pruneBuilds, pruneDownloads } from "./images/prune.js";
