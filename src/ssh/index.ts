export { shellQuote, shellJoin } from "../proc/quote.js";
export { sshConfigOptions, sshConfigText, sshConfigValue, sshHostAlias, type SshConfigOptions } from "./config.js";
export { formatShowSsh, SHOW_SSH_FORMATS, type ShowSshFormat } from "./show.js";
export { sshArgv, remoteScript, sshControlExitArgv, type SshArgvOptions } from "./argv.js";
export { ensureUserKey, type UserKey } from "./key.js";
export { ensureHostKey, hostKeyMismatchError, isHostKeyMismatch, knownHostsLine, type HostKey } from "./hostkey.js";
export { sshCommandRunner, type SshRunOptions } from "./runner.js";
export { waitForSsh, waitForBanner, readBanner } from "./wait.js";
