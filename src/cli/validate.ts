import type { Command } from "commander";

/** Where `validate` writes: stdout gets the filled YAML, stderr the issues and OK lines. */
export interface ValidateOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * What `tslima validate [--fill] FILE...` does, returning the exit status: loads each file like
 * `create` would (base:, default.yaml, override.yaml, defaults) and validates it. Errors and warnings
 * go to stderr as `FILE:LINE:COL: field: message`; 1 when any file is invalid. With `fill`, prints the
 * filled YAML (stable key order). Anything but a ConfigError is thrown (an internal error).
 */
export async function runValidate(files: string[], options: { fill?: boolean; home?: string }, out: ValidateOutput): Promise<number> {
  const { configToYaml, formatIssue, isConfigError, loadConfig, probeHostFacts, tslimaHome } = await import("../internal.js");
  const home = options.home ?? tslimaHome();
  const host = probeHostFacts(home);
  const filled: string[] = [];
  let failed = false;
  for (const file of files) {
    try {
      const { config, warnings } = await loadConfig(file, { hostFacts: host, tslimaHome: home });
      for (const w of warnings) out.stderr(`${w}\n`);
      if (options.fill) filled.push(configToYaml(config));
      else out.stderr(`${file}: OK\n`);
    } catch (e) {
      if (!isConfigError(e)) throw e;
      failed = true;
      for (const issue of e.issues) out.stderr(`${formatIssue(issue)}\n`);
    }
  }
  if (filled.length > 0) out.stdout(filled.length > 1 ? filled.map((y) => `---\n${y}`).join("") : (filled[0] as string));
  return failed ? 1 : 0;
}

export function register(program: Command): void {
  program
    .command("validate")
    .description("Validate tslima/Lima YAML files (base:, default.yaml and override.yaml applied)")
    .argument("<files...>", "YAML files, template:NAME or http(s) URLs")
    .option("--fill", "print the YAML with every default filled in")
    .action(async (files: string[], options: { fill?: boolean }) => {
      const status = await runValidate(files, options, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
      if (status !== 0) process.exitCode = status;
    });
}
