// A light entry of the library for the CLI: Lima's plugins (limactl-NAME on PATH), found and run
// without evaluating the rest of the library, so that `limactl --help` (which lists them) and
// `limactl NAME` stay quick. See src/config/plugins.ts.
export { discoverPlugins, findPlugin, runPlugin, type Plugin } from "./config/plugins.js";
