import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { isConfigError, loadConfig, NOT_SUPPORTED, type HostFacts } from "../../../src/config/index.js";
import { sharedDir, yamlFilesUnder } from "../../helpers.js";
import { linuxHost, macHost, tempTree } from "./support.js";

/**
 * Every YAML of Lima's own templates (../shared/lima-templates) must load, resolve its `base:` chain
 * through TSLIMA_TEMPLATES_PATH, fill and validate; or fail only with errors that say tslima refuses
 * the feature on purpose ("not supported by tslima": macOS/FreeBSD/Windows guests, vmType vz, ...).
 */
const limaDir = join(sharedDir, "lima-templates");

interface Outcome {
  ok: string[];
  refused: string[];
  wrong: string[];
}

async function loadAll(host: HostFacts, home: string, files: string[], fragments: string): Promise<Outcome> {
  const out: Outcome = { ok: [], refused: [], wrong: [] };
  for (const file of files) {
    const rel = relative(limaDir, file);
    // building blocks such as _default/mounts.yaml have no images: load them as the base of a template that has one
    const fragment = rel.startsWith("_default/");
    const locator = fragment ? join(fragments, `${rel.replace(/\W/g, "-")}.yaml`) : file;
    try {
      await loadConfig(locator, { hostFacts: host, tslimaHome: home, instanceName: "corpus" });
      out.ok.push(rel);
    } catch (e) {
      if (!isConfigError(e)) {
        out.wrong.push(`${rel}: threw ${String(e)}`);
        continue;
      }
      const lines = e.message.split("\n");
      if (lines.every((l) => l.includes(NOT_SUPPORTED))) out.refused.push(rel);
      else out.wrong.push(`${rel}:\n  ${lines.join("\n  ")}`);
    }
  }
  return out;
}

test("every Lima template loads, resolves base:, fills and validates (or is refused on purpose)", async (t) => {
  assert.ok(existsSync(limaDir), `Lima's templates are expected at ${limaDir} (the shared directory beside the repository)`);
  const files = yamlFilesUnder(limaDir);
  assert.ok(files.length > 50, `expected Lima's templates in ${limaDir}, found ${files.length} files`);
  const fragmentFiles: Record<string, string> = {};
  for (const f of files) {
    const rel = relative(limaDir, f);
    if (!rel.startsWith("_default/")) continue;
    const name = rel.replace(/\.yaml$/, "");
    fragmentFiles[`${rel.replace(/\W/g, "-")}.yaml`] = `base: template:${name}\nimages:\n- location: build:debian-12\n`;
  }
  const tree = tempTree(fragmentFiles);
  const home = tempTree({});
  const saved = process.env.TSLIMA_TEMPLATES_PATH;
  process.env.TSLIMA_TEMPLATES_PATH = `/nonexistent-tslima-dir:${limaDir}`;
  try {
    for (const [label, host] of [["Linux x86_64", linuxHost], ["macOS aarch64", macHost]] as const) {
      const r = await loadAll(host, home.dir, files, tree.dir);
      t.diagnostic(`${label}: ${files.length} files, ${r.ok.length} valid, ${r.refused.length} refused on purpose (${r.refused.join(", ")})`);
      assert.deepEqual(r.wrong, [], `${label}: templates that fail for a reason other than a deliberate refusal`);
      // the refusals are the non-Linux guests and their bases, nothing else
      for (const rel of r.refused) assert.match(rel, /macos|freebsd|windows/, `${label}: ${rel} is refused`);
      assert.ok(r.ok.includes("default.yaml") && r.ok.includes("docker.yaml") && r.ok.includes("_default/mounts.yaml"));
    }
  } finally {
    if (saved === undefined) delete process.env.TSLIMA_TEMPLATES_PATH;
    else process.env.TSLIMA_TEMPLATES_PATH = saved;
    tree.cleanup();
    home.cleanup();
  }
});

test("Lima's default.yaml fills like Lima: ubuntu images from its base, ~ mounted read-only over 9p", async () => {
  const home = tempTree({});
  try {
    const { config, warnings } = await loadConfig(join(limaDir, "default.yaml"), {
      hostFacts: linuxHost,
      tslimaHome: home.dir,
      templatesPath: [limaDir],
    });
    assert.deepEqual(warnings, []);
    assert.ok(config.images.length > 4 && config.images.every((i) => i.location.includes("ubuntu")));
    assert.equal(config.mountType, "9p");
    assert.deepEqual(
      config.mounts.map((m) => [m.location, m.mountPoint, m.writable, m["9p"].cache]),
      [["/home/alice", "/home/alice", false, "fscache"]],
    );
    assert.equal(config.extra.minimumLimaVersion, "2.0.0");
  } finally {
    home.cleanup();
  }
});
