export { cidataFiles } from "./files.js";
export { isoImage, type IsoOptions } from "./iso.js";
export { userData } from "./userdata.js";
export { networkConfig } from "./network.js";
export { GUEST_LIB, HOST_IP, PROVISION_LOG, READY_FILE, guestHostname, type CidataContext } from "./context.js";
export { shQuote } from "./shell.js";
