#!/usr/bin/env node
// `limactl`: tslima's CLI under Lima's name, for scripts and tools written for Lima.
import { main } from "../dist/src/cli/main.js";

process.exitCode = await main(process.argv.slice(2), "limactl");
