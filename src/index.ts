// The public library API of tslima: everything a program (and tslima's own CLI, src/cli) may use.
// Nothing else of src/ is public; the lint (dependency-cruiser) keeps src/cli to this file.

// Lifecycle objects: Instance.create(...).then((i) => i.start()) -> RunningInstance. Importing them
// defines Symbol.asyncDispose where Node lacks it (src/instance/dispose-symbol.ts).
export {
  Instance,
  RunningInstance,
  type DisposePolicy,
  type InstanceCreateOptions,
  type InstanceStartOptions,
  type ExecOptions,
  type ExecOutput,
} from "./instance/api.js";
export type { InstanceInfo } from "./instance/inventory.js";
export type { InstanceStatus } from "./store/status.js";
export type { AgentEvent, AgentStatus, Step } from "./store/events.js";
export { TslimaError, isTslimaError, ERROR_CODES, type ErrorCode } from "./errors.js";

// The configuration users write (Lima's YAML) and load.
export type { Arch, Config, HostFacts, Image, Mount, MountType, Network, PortForward, Probe, Provision } from "./config/types.js";
export { loadConfig, type LoadOptions, type LoadedConfig } from "./config/pipeline.js";
export { ConfigError, isConfigError, formatIssue, type ConfigIssue } from "./config/errors.js";
export { configToYaml } from "./config/output.js";
export { probeHostFacts } from "./host/facts.js";
export { applySets } from "./config/sets.js";
export { parseYq, evalYq, yqSelects, formatYqResults, YqError, type YqProgram } from "./lang/yq.js";
export { parseSize, formatSize, scaleBytes } from "./config/sizes.js";

// Templates (template:NAME).
export { listTemplates, templateSearchDirs, type TemplateEntry } from "./config/templates.js";
export { locateTemplate, templateText, copyTemplate } from "./config/template-files.js";

// The same operations as functions keyed by instance name (what the CLI commands call).
export { tslimaHome, buildCacheDir, globalPaths, instancePaths, type InstancePaths } from "./store/paths.js";
export { createInstance, type CreateOptions, type Created } from "./instance/create.js";
export { parseMountFlag, type Overrides } from "./instance/overrides.js";
export { startInstance, type StartOptions, type Started } from "./instance/start.js";
export { stopInstance, type StopOptions } from "./instance/stop.js";
export { suspendInstance, type SuspendOptions, type Suspended } from "./instance/suspend.js";
export { createSnapshot, snapshots, removeSnapshot, validateSnapshotName, type SnapshotCreateOptions } from "./instance/snapshot.js";
export { createFromSnapshot, type FromSnapshotOptions } from "./instance/from-snapshot.js";
export { tagSnapshot, listTagSnapshots, type TagOp, type TagSnapshotOptions } from "./instance/tag-snapshot.js";
export type { ImageSnapshot } from "./qemu/img.js";
export { createDisk, importDisk, listDisks, deleteDisk, resizeDisk, unlockDisk, type DiskOptions } from "./instance/disk.js";
export type { DiskJson } from "./disks/plan.js";
export type { Snapshot } from "./store/snapshot.js";
export type { SnapshotRecord } from "./store/snapshot-record.js";
export { deleteInstance } from "./instance/delete.js";
export { setProtected } from "./instance/protect.js";
export { cloneInstance, renameInstance, factoryReset } from "./instance/clone.js";
export { editInstanceApi as editInstance, editInEditor } from "./instance/edit.js";
export { listInstancesApi as listInstances, getInstance, loadInstanceConfig, inventory, PROTECTED_FILE, type ListReport } from "./instance/inventory.js";
export { limaInstanceJson, limaTemplateData, renderInstances, checkListFormat, bytesSize, LIST_FIELDS, type ListHost } from "./instance/lima-view.js";
export { shell, exec, type ShellOptions } from "./instance/shell.js";
export type { ExecResult } from "./ssh/exec.js";
export { startTunnel, stopTunnel, type TunnelOptions } from "./instance/tunnel.js";
export { copy, chooseCopyBackend, COPY_BACKENDS, type CopyBackend, type CopyOptions } from "./instance/copy.js";
export { hostInfo, type HostInfo } from "./instance/info.js";
export { LIMA_VERSION, LIMA_COMPAT_VERSION, TSLIMA_VERSION } from "./version.js";
export { doctorMounts, type DoctorMountsOptions } from "./instance/doctor.js";
export { benchMounts, type BenchMountsOptions } from "./instance/bench.js";
export { WORKLOADS as BENCH_WORKLOADS, WORKLOAD_UNIT as BENCH_WORKLOAD_UNIT, WORKLOAD_MEANING as BENCH_WORKLOAD_MEANING, unsafeForSharedWrites, type BenchReport, type BenchRun, type MountBench, type Workload as BenchWorkload } from "./mounts/bench.js";
export { doctorTable, CHECKS as DOCTOR_CHECKS, CHECK_MEANING as DOCTOR_CHECK_MEANING, type DoctorReport, type MountReport, type Check as DoctorCheck, type CheckName as DoctorCheckName } from "./mounts/doctor.js";

// Guest images: local builds and the caches.
export { buildImage } from "./images/builder/index.js";
export { hostArch } from "./images/builder/preflight.js";
export { progressPrinter as imageProgressPrinter, formatBytes } from "./images/progress.js";
export { pruneBuilds, pruneDownloads, type PruneResult } from "./images/prune.js";
