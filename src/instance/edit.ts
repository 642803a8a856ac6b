import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOnTerminal } from "../proc/run.js";
import { TslimaError } from "../errors.js";
import { loadConfigText } from "../config/index.js";
import { probeHostFacts } from "../host/facts.js";
import { writeFileAtomic } from "../store/atomic.js";
import { tslimaHome } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { editInstance, type CreateRequest } from "./create.js";
import { requireInstance } from "./lookup.js";

/**
 * `edit NAME` with create/start flags: the flags applied to lima.yaml, validated as create validates,
 * before the file is rewritten. Refused while the instance runs (or is suspended), as Lima refuses:
 * a changed lima.yaml takes effect at the next boot only. Returns the config warnings.
 */
/** `text`: a whole new lima.yaml (what the user saved in an editor) instead of flags. */
export function editInstanceApi(name: string, o: Omit<CreateRequest, "name" | "cwd" | "templatesPath"> & { text?: string }): string[] {
  const home = o.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  const st = inspectStatus(paths).status;
  if (st !== "Stopped") {
    throw new TslimaError("INSTANCE_RUNNING", `cannot edit instance ${name}: it is ${st}`, {
      hint: `stop it first (tslima stop ${name}); the changes take effect at the next start`,
    });
  }
  const current = readFileSync(paths.limaYaml, "utf8");
  if (o.text !== undefined) {
    // a whole new lima.yaml (from an editor): validated before it replaces the old one
    const { warnings } = loadConfigText(o.text, paths.limaYaml, { hostFacts: probeHostFacts(), tslimaHome: home, instanceName: name });
    writeFileAtomic(paths.limaYaml, o.text);
    return warnings;
  }
  return editInstance(home, paths, current, o);
}

/**
 * lima.yaml of a stopped instance opened in $VISUAL/$EDITOR (vi) on the terminal, as Lima's `edit`
 * without flags; the saved text is validated and replaces lima.yaml. Returns the warnings, or
 * undefined when nothing changed.
 */
export function editInEditor(name: string, opts: { home?: string; env?: NodeJS.ProcessEnv } = {}): string[] | undefined {
  const home = opts.home ?? tslimaHome();
  const env = opts.env ?? process.env;
  const current = readFileSync(requireInstance(home, name).limaYaml, "utf8");
  const dir = mkdtempSync(join(tmpdir(), "tslima-edit-"));
  try {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, current);
    const editor = env.VISUAL || env.EDITOR || "vi";
    const code = runOnTerminal("/bin/sh", ["-c", `${editor} "$1"`, "sh", file]);
    if (code !== 0) throw new TslimaError("EDITOR_FAILED", `the editor (${editor}) did not exit cleanly (exit ${code ?? "signal"})`, { hint: "lima.yaml is unchanged" });
    const text = readFileSync(file, "utf8");
    return text === current ? undefined : editInstanceApi(name, { home, text });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
