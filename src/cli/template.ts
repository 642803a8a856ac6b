import type { Command } from "commander";

/**
 * Lima's `template url`: the locator a custom URL stands for. `template://NAME` (Lima 1.x) becomes
 * `template:NAME` (with a warning, as Lima); `github:` is resolved by the action (config/github.ts);
 * anything else is printed as it is (the action then runs limactl-url-SCHEME plugins on it). Pure.
 */
export function templateUrl(locator: string): { url: string; warning?: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(locator)?.[1];
  if (scheme === "template" && locator.startsWith("template://")) {
    const url = `template:${locator.slice("template://".length).replace(/\/+$/, "")}`;
    return { url, warning: `template locator ${locator} should be written ${url} since Lima v2.0` };
  }
  return { url: locator };
}

/**
 * `tslima template list|show|copy|yq|url`. Templates are tslima's bundled ones, then those in the
 * directories of TSLIMA_TEMPLATES_PATH (first match wins).
 */
export function register(program: Command): void {
  const template = program.command("template").description("List, show and copy templates (template:NAME)");
  template
    .command("list")
    .description("List the templates by name")
    .option("--all", "also list building blocks under _images/ and _default/")
    .option("--path", "show the file each name resolves to")
    .action(async (options: { all?: boolean; path?: boolean }) => {
      const { listTemplates, templateSearchDirs } = await import("../internal.js");
      for (const t of listTemplates(templateSearchDirs(), options.all === true)) {
        process.stdout.write(options.path ? `${t.name}\t${t.path}\n` : `${t.name}\n`);
      }
    });
  template
    .command("show")
    .description("Print a template as written (or with --embed, with its base: templates merged in)")
    .argument("<name>", "template name, e.g. default or template:docker")
    .option("--embed", "resolve base: and inline script files")
    .action(async (name: string, options: { embed?: boolean }) => {
      const { templateText, tslimaHome } = await import("../internal.js");
      process.stdout.write(await templateText(name, { embed: options.embed === true, tslimaHome: tslimaHome() }));
    });
  template
    .command("copy")
    .description("Copy a template to FILE ('-' for stdout) to edit it; refuses to overwrite without --force")
    .argument("<name>", "template name, e.g. default or template:docker")
    .argument("<file>", "destination file, or - for stdout")
    .option("--embed", "resolve base: and inline script files into the copy")
    .option("-f, --force", "overwrite FILE if it exists (Lima's `limactl template copy` always overwrites)")
    .action(async (name: string, file: string, options: { embed?: boolean; force?: boolean }) => {
      const { copyTemplate, templateText, tslimaHome } = await import("../internal.js");
      const opts = { embed: options.embed === true, force: options.force === true, tslimaHome: tslimaHome() };
      if (file === "-") process.stdout.write(await templateText(name, opts));
      else await copyTemplate(name, file, opts);
    });
  template
    .command("yq")
    .description("Print what a yq expression selects from a template, its bases merged and defaults filled (Lima's `template yq`)")
    .argument("<template>", "template:NAME, a file or an http(s) URL")
    .argument("<expr>", "yq expression, e.g. '.images[].location'")
    .action(async (locator: string, expr: string) => {
      const { TslimaError, YqError, configToYaml, evalYq, formatIssue, formatYqResults, isConfigError, loadConfig, parseYq, probeHostFacts, tslimaHome } = await import("../internal.js");
      const { parse } = await import("yaml");
      const bad = (why: string) =>
        new TslimaError("INVALID_FLAG", `template yq expression '${expr}': ${why}`, { hint: "write a yq expression such as '.images[].location' or '.mounts[] | select(.writable) | .location'" });
      let program;
      try {
        program = parseYq(expr);
      } catch (e) {
        throw e instanceof YqError ? bad(e.message) : e;
      }
      const home = tslimaHome();
      let yaml: string;
      try {
        const { config, warnings } = await loadConfig(locator, { hostFacts: probeHostFacts(home), tslimaHome: home });
        for (const w of warnings) process.stderr.write(`${w}\n`);
        yaml = configToYaml(config);
      } catch (e) {
        if (!isConfigError(e)) throw e;
        for (const issue of e.issues) process.stderr.write(`${formatIssue(issue)}\n`);
        process.exitCode = 1;
        return;
      }
      try {
        process.stdout.write(formatYqResults(evalYq(program, parse(yaml)), "yaml", { separators: false }));
      } catch (e) {
        throw e instanceof YqError ? bad(e.message) : e;
      }
    });
  template
    .command("url")
    .description("Print the locator a custom template URL stands for (Lima's `template url`)")
    .argument("<url>", "e.g. template://default")
    .action(async (locator: string) => {
      const r = templateUrl(locator);
      if (r.warning !== undefined) process.stderr.write(`warning: ${r.warning}\n`);
      if (r.url.startsWith("github:")) {
        const [{ resolveGithubLocator }, log] = await Promise.all([import("../internal.js"), import("./log.js")]);
        const url = await resolveGithubLocator(r.url, log.debug);
        log.warn("The github: scheme is still EXPERIMENTAL");
        process.stdout.write(`${url}\n`);
        return;
      }
      const { resolveCustomLocator } = await import("../internal.js");
      process.stdout.write(`${resolveCustomLocator(r.url).locator}\n`);
    });
}
