/**
 * Lima's provision mode "yq" (pure): which guest files a boot edits, and the edit itself, evaluated
 * on the host with tslima's yq (src/lang, as `limactl yq`) on the file's text the guest sent (hostile
 * input: parsed, never executed). The guest half and the order are in hostagent/yq-apply.ts.
 */
import type { Config } from "../config/types.js";
import { parseYq } from "../lang/yq-parse.js";
import { yqRun } from "../lang/yq-run.js";

/** One `mode: yq` step of lima.yaml, defaults filled (format auto, owner root:root, permissions 644). */
export interface YqEdit {
  index: number;
  path: string;
  expression: string;
  format: string;
  owner: string;
  permissions: string;
}

/** The largest guest file an edit reads. */
export const YQ_MAX_BYTES = 512 * 1024;

/** The `mode: yq` steps of the config, in order. */
export function yqEdits(config: Config): YqEdit[] {
  return config.provision.flatMap((p, index) =>
    p.mode === "yq" && p.path !== undefined && p.expression !== undefined
      ? [{ index, path: p.path, expression: p.expression, format: p.format ?? "auto", owner: p.owner ?? "root:root", permissions: p.permissions ?? "644" }]
      : [],
  );
}

/** yq's formats that tslima's yq does not read or write. */
const OTHER_FORMATS: Record<string, string> = { csv: "csv", tsv: "tsv", ini: "ini", properties: "props", props: "props", toml: "toml", xml: "xml", lua: "lua", base64: "base64", uri: "uri", shell: "shell", sh: "shell" };

/** The file's format: `format`, or for "auto" its extension (yq's rule; unknown ones are YAML, as Lima). */
export function yqFormat(format: string, path: string): { format: "yaml" | "json" } | { error: string } {
  let f = format.toLowerCase();
  if (f === "auto") {
    const ext = /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase() ?? "";
    f = ext === "json" ? "json" : ext in OTHER_FORMATS ? (OTHER_FORMATS[ext] as string) : "yaml";
  }
  if (f === "yaml" || f === "yml" || f === "y") return { format: "yaml" };
  if (f === "json" || f === "j") return { format: "json" };
  return { error: `format ${f} is not supported by tslima's yq (yaml and json are)` };
}

/** The new text of the file: the expression on its text (`current`), or on null when it does not exist yet. */
export function applyYqEdit(edit: YqEdit, current: string | null): { content: string } | { error: string } {
  const f = yqFormat(edit.format, edit.path);
  if ("error" in f) return f;
  try {
    const program = parseYq(edit.expression);
    // an empty file is edited as a new one (no document to evaluate on)
    const { output } = yqRun(program, current !== null && current.trim() !== "" ? current : null, edit.path, { inputFormat: f.format, outputFormat: f.format, indent: 2, unwrap: false, pretty: false });
    return { content: output };
  } catch (e) {
    return { error: `expression ${JSON.stringify(edit.expression)} on ${edit.path}: ${(e as Error).message}` };
  }
}
