// The public library API of tslima (`import ... from "tslima"`): typed objects only. The CLI's own
// view (flag parsing aside, which lives in src/cli) is src/internal.ts.

// Lifecycle objects: Instance.create(...).then((i) => i.start()) -> RunningInstance, `await using`
// either. Importing them defines Symbol.asyncDispose where Node lacks it (src/instance/dispose-symbol.ts).
export { Instance, RunningInstance, type DisposePolicy, type InstanceCreateOptions, type InstancePoolOptions } from "./instance/api.js";
export { InstancePool, type PoolOptions } from "./instance/pool.js";
export type { InstanceInfo } from "./instance/inventory.js";
export type { InstanceStatus } from "./store/status.js";
export type { AgentEvent, AgentStatus, Step } from "./store/events.js";
export { TslimaError, isTslimaError, ERROR_CODES, type ErrorCode } from "./errors.js";

// The configuration: Lima's YAML as types, the typed overrides create/start take, loading and checking a file.
export type { Arch, Config, HostFacts, Mount, MountInput, MountType, PortForward, PortForwardInput } from "./config/types.js";
export type { ConfigOverrides } from "./instance/overrides.js";
export { loadConfig, type LoadOptions, type LoadedConfig } from "./config/pipeline.js";
export { ConfigError, isConfigError, type ConfigIssue } from "./config/errors.js";
export { probeHostFacts } from "./host/facts.js";

// The same lifecycle as functions keyed by instance name.
export { createInstance, type CreateOptions, type Created } from "./instance/create.js";
export { startInstance, type StartOptions, type Started } from "./instance/start.js";
export { stopInstance, type StopOptions } from "./instance/stop.js";
export { suspendInstance, type SuspendOptions, type Suspended } from "./instance/suspend.js";
export { deleteInstance } from "./instance/delete.js";
export { cloneInstance } from "./instance/clone.js";
export { createSnapshot, type SnapshotCreateOptions } from "./instance/snapshot.js";
export { createFromSnapshot, type FromSnapshotOptions, type SnapshotInstanceConfig } from "./instance/from-snapshot.js";
export type { Snapshot } from "./store/snapshot.js";
export { shell, exec, type ShellOptions, type ExecOptions, type ExecResult } from "./instance/shell.js";
export type { SyncOptions } from "./instance/shell-sync.js";
export type { SyncApply } from "./instance/sync-plan.js";
export { copy, type CopyOptions } from "./instance/copy.js";
export { screenshot, type ScreenshotOptions } from "./instance/screenshot.js";
export { listInstancesApi as listInstances, getInstance } from "./instance/inventory.js";
export { hostInfo, type HostInfo } from "./instance/info.js";
export { listNetworks, createNetwork, deleteNetworks, type NetworkCreateOptions, type NetworkOptions, type NetworkDef, type NetworkMode } from "./instance/network.js";
export { watchInstances, InstanceWatcher, type WatchOptions } from "./instance/watch.js";
export type { WatchEvent, WatchKind, WatchStatus, WatchPortForward } from "./instance/watch-event.js";
