// A light entry of the library (`tslima/shell`): run commands in a running instance by its name.
// The same functions as in src/index.ts, without evaluating the rest of the library (config, YAML,
// images, QEMU): what `tslima shell` loads before it runs ssh. See docs/architecture.md.
export { shell, exec, type ShellOptions, type ExecOptions, type ExecResult } from "./instance/shell.js";
export type { SyncOptions } from "./instance/shell-sync.js";
export type { SyncApply } from "./instance/sync-plan.js";
export { shellJoin } from "./proc/quote.js";
export { formatLogLine, jsonLogLine, jsonLogWriter, logWriter, type LogFormat, type LogLevel, type LogStyle } from "./proc/log-format.js";
