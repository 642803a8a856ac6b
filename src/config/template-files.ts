import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { resolveTemplate } from "./pipeline.js";
import { findTemplate, templateSearchDirs } from "./templates.js";

/**
 * The file a template name resolves to (`default`, `template:docker`, `template://docker`): the
 * bundled templates, then TSLIMA_TEMPLATES_PATH's directories, first match wins.
 */
export function locateTemplate(name: string): string {
  const bare = name.replace(/^template:(\/\/)?/, "");
  const found = findTemplate(bare, templateSearchDirs());
  if (!found) {
    throw new TslimaError("TEMPLATE_NOT_FOUND", `no template named "${bare}"`, {
      hint: "run `tslima template list` to see the templates; add directories with TSLIMA_TEMPLATES_PATH",
    });
  }
  return found;
}

/** A template's text as written, or with `embed` its base: templates and script files inlined. */
export async function templateText(name: string, opts: { embed?: boolean; tslimaHome: string }): Promise<string> {
  const path = locateTemplate(name);
  return opts.embed ? (await resolveTemplate(path, { tslimaHome: opts.tslimaHome })).text : readFileSync(path, "utf8");
}

/**
 * Writes a template to `file` to edit it. Unlike Lima's `limactl template copy`, an existing file is
 * overwritten only with `force` (FILE_EXISTS otherwise).
 */
export async function copyTemplate(name: string, file: string, opts: { embed?: boolean; force?: boolean; tslimaHome: string }): Promise<void> {
  const text = await templateText(name, opts);
  if (existsSync(file) && !opts.force) {
    throw new TslimaError("FILE_EXISTS", `${file} already exists`, { hint: "pass --force to overwrite it, or choose another file name" });
  }
  writeFileSync(file, text);
}
