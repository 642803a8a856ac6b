#!/usr/bin/env node
// `limactl`: tslima's CLI under Lima's name, for scripts and tools written for Lima.
// Called through a link named yq (any extensions: yq.lima.exe), it is `limactl yq`, as Lima's is.
import { basename } from "node:path";
import { main } from "../dist/src/cli/main.js";

const multiCall = basename(process.argv[1] ?? "").split(".")[0] === "yq";
process.exitCode = await main(multiCall ? ["yq", ...process.argv.slice(2)] : process.argv.slice(2), "limactl");
