#!/usr/bin/env node
// `lima CMD...`: `limactl shell $LIMA_INSTANCE CMD...`, as Lima's `lima` script.
import { limaMain } from "../dist/src/cli/lima.js";

process.exitCode = await limaMain(process.argv.slice(2));
