import type { Command } from "commander";

/**
 * `tslima template list|show|copy`. Templates are tslima's bundled ones, then those in the
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
      const { listTemplates, templateSearchDirs } = await import("../index.js");
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
      const { templateText, tslimaHome } = await import("../index.js");
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
      const { copyTemplate, templateText, tslimaHome } = await import("../index.js");
      const opts = { embed: options.embed === true, force: options.force === true, tslimaHome: tslimaHome() };
      if (file === "-") process.stdout.write(await templateText(name, opts));
      else await copyTemplate(name, file, opts);
    });
}
