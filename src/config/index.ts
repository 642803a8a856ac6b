// The configuration layer: load (with positions) -> resolve base: -> merge default/override -> fill -> validate.
export * from "./types.js";
export { parseSize, trySize, formatSize } from "./sizes.js";
export { applySets } from "./sets.js";
export { ConfigError, isConfigError, formatIssue, type ConfigIssue } from "./errors.js";
export { fillDefaults, DEFAULT_9P, type FillOptions } from "./defaults.js";
export { validateConfig, NOT_SUPPORTED } from "./validate.js";
export { resolveBases, resolveBasesSync, type ResolveOptions } from "./base.js";
export { bundledTemplatesDir, findTemplate, listTemplates, templateSearchDirs, templatesPathFromEnv, type TemplateEntry } from "./templates.js";
export { loadConfig, loadConfigText, resolveTemplate, instanceNameFromSource, type LoadOptions, type LoadedConfig } from "./pipeline.js";
export { configToYaml } from "./output.js";
