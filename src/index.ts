// The public library API. The CLI (src/cli) is a thin layer over what is exported here.
export * from "./config/types.js";
export { TslimaError, isTslimaError } from "./errors.js";
