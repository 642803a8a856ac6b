export { cidataFiles } from "./files.js";
export { isoImage, type IsoOptions } from "./iso.js";
export { userData } from "./userdata.js";
export { networkConfig } from "./network.js";
export { GUEST_LIB, HOST_IP, PROVISION_LOG, READY_FILE, guestHostname, type CidataContext } from "./context.js";
export { shQuote } from "./shell.js";
export { CLOUD_INIT_DISABLED, bootMode, cidataDigest, kernelCmdline, parseReadyMarker, readyMarkerText, type BootMode, type BootModeInput, type CloudInitRun } from "./boot-mode.js";
export { LIGHT_BOOT_UNIT_PATH } from "./scripts/runner.js";
