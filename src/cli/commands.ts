import type { Command } from "commander";
import { register as image } from "./image.js";
import { register as prune } from "./prune.js";
import { register as create } from "./create.js";
import { register as start } from "./start.js";
import { register as stop } from "./stop.js";
import { register as restart } from "./restart.js";
import { register as shell } from "./shell.js";
import { register as copy } from "./copy.js";
import { register as delete_ } from "./delete.js";
import { register as list } from "./list.js";
import { register as info } from "./info.js";
import { register as validate } from "./validate.js";
import { register as template } from "./template.js";
import { register as doctor } from "./doctor.js";

/** Every CLI command registers itself here; one file per command under src/cli/. */
export const commands: Array<(program: Command) => void> = [create, start, stop, restart, shell, copy, delete_, list, info, image, prune, validate, template, doctor];
