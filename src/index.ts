// The public library API. The CLI (src/cli) is a thin layer over what is exported here.
export * from "./config/types.js";
export { TslimaError, isTslimaError } from "./errors.js";
export { tslimaHome, instancePaths, type InstancePaths } from "./store/paths.js";
export { createInstance, type CreateOptions, type Created } from "./instance/create.js";
export { startInstance, type StartOptions, type Started } from "./instance/start.js";
export { stopInstance, type StopOptions } from "./instance/stop.js";
export { deleteInstance } from "./instance/delete.js";
export { listInstancesApi as listInstances, getInstance, type InstanceInfo } from "./instance/inventory.js";
export { shell, exec, type ShellOptions } from "./instance/shell.js";
export type { ExecResult } from "./ssh/exec.js";
export { copy } from "./instance/copy.js";
export { hostInfo, type HostInfo } from "./instance/info.js";
export type { AgentEvent, AgentStatus, Step } from "./store/events.js";
export * from "./config/index.js";
