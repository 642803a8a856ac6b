import type { Command } from "commander";
import { configToYaml, formatIssue, isConfigError, loadConfig, probeHostFacts, tslimaHome } from "../index.js";

/**
 * `tslima validate [--fill] FILE...`: loads each file like `create` would (base:, default.yaml,
 * override.yaml, defaults) and validates it. Errors go to stderr as `FILE:LINE:COL: field: message`;
 * exit status 1 when any file is invalid. `--fill` prints the filled YAML (stable key order).
 */
export function register(program: Command): void {
  program
    .command("validate")
    .description("Validate tslima/Lima YAML files (base:, default.yaml and override.yaml applied)")
    .argument("<files...>", "YAML files, template:NAME or http(s) URLs")
    .option("--fill", "print the YAML with every default filled in")
    .action(async (files: string[], options: { fill?: boolean }) => {
      const host = probeHostFacts();
      const home = tslimaHome();
      const filled: string[] = [];
      let failed = false;
      for (const file of files) {
        try {
          const { config, warnings } = await loadConfig(file, { hostFacts: host, tslimaHome: home });
          for (const w of warnings) process.stderr.write(`${w}\n`);
          if (options.fill) filled.push(configToYaml(config));
          else process.stderr.write(`${file}: OK\n`);
        } catch (e) {
          if (!isConfigError(e)) throw e;
          failed = true;
          for (const issue of e.issues) process.stderr.write(`${formatIssue(issue)}\n`);
        }
      }
      if (filled.length > 0) process.stdout.write(filled.length > 1 ? filled.map((y) => `---\n${y}`).join("") : (filled[0] as string));
      if (failed) process.exitCode = 1;
    });
}
