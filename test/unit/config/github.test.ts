/**
 * `github:` template locators (Lima's pkg/limatmpl/github.go rules, hack/bats/tests/url-github.bats
 * cases) against a local server standing in for the GitHub API and raw.githubusercontent.com, with
 * the jandubois/jandubois test repository's layout; then `limactl template url` and `tslima create`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { githubIo } from "../../../src/config/github-io.js";
import { resolveGithub } from "../../../src/config/github.js";
import { ConfigError, loadConfig, resolveTemplate } from "../../../src/config/index.js";
import { isTslimaError } from "../../../src/errors.js";
import { isLocator } from "../../../src/instance/create.js";
import { repoRoot } from "../../helpers.js";
import { logSummary } from "../../support/logrus.js";
import { linuxHost, tempTree } from "./support.js";

/** jandubois/jandubois (same on main and v0.0.0), as the bats file's comment describes it. */
const JANDUBOIS: Record<string, string> = {
  ".lima.yaml": "templates/demo.yaml",
  "back/.lima.yaml": "github:jandubois//loop/",
  "docs/.lima.yaml": "../templates/demo.yaml",
  "example.yaml": "templates/demo.yaml",
  "invalid/org/.lima.yaml": "github:lima-vm",
  "invalid/tag/.lima.yaml": "github:jandubois//@v0.0.0",
  "loop/.lima.yaml": "github:jandubois//back/",
  "redirect/.lima.yaml": "github:jandubois/lima/templates/default",
  "templates/demo.yaml": "base: template:default\n",
  "yaml/.lima.yaml": "{}\n",
};

const REPOS: Record<string, { default: string; branches: Record<string, Record<string, string>> }> = {
  "jandubois/jandubois": { default: "main", branches: { main: JANDUBOIS, "v0.0.0": JANDUBOIS } },
  "jandubois/lima": { default: "master", branches: { master: { "templates/default.yaml": "base: template:default\n" }, "v1.2.1": { "templates/default.yaml": "base: template:default\n" } } },
  // hostile repositories: a symlink out of the repository, a default branch that climbs out, a long one-word file
  "evil/evil": { default: "main", branches: { main: { ".lima.yaml": "../../other/x.yaml", "deep/.lima.yaml": "../../../x.yaml", "ok/a.yaml": "b.yaml", "host.yaml": "base: /etc/hosts\n", "leave/.lima.yaml": "github:evil/../../torvalds/linux/master/evil" } } },
  "evil/branch": { default: "../../x", branches: {} },
  "other/repo": { default: "main", branches: { main: { ".lima.yaml": "github:other//x" } } },
};

/** Serves /api/repos/ORG/REPO and /raw/ORG/REPO/BRANCH/PATH; records the requests. */
async function serveGithub(ctx: { after(fn: () => void): void }) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    seen.push(url);
    const api = /^\/api\/repos\/([^/]+)\/([^/]+)$/.exec(url);
    if (api) {
      const repo = REPOS[`${api[1]}/${api[2]}`];
      res.statusCode = repo ? 200 : 404;
      res.end(repo ? JSON.stringify({ default_branch: repo.default }) : '{"message":"Not Found"}');
      return;
    }
    const raw = /^\/raw\/([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(url);
    const body = raw ? REPOS[`${raw[1]}/${raw[2]}`]?.branches[raw[3] as string]?.[raw[4] as string] : undefined;
    res.statusCode = body === undefined ? 404 : 200;
    res.end(body ?? "404: Not Found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  ctx.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, env: { TSLIMA_GITHUB_API: `${base}/api`, TSLIMA_GITHUB_RAW: `${base}/raw` } };
}

// The bats file's list: all of them lead to templates/demo.yaml on main, or on v0.0.0 when named
const URLS = [
  "github:jandubois/jandubois/templates/demo.yaml@main",
  "github:jandubois/jandubois/templates/demo.yaml",
  "github:jandubois/jandubois/templates/demo",
  "github:jandubois/jandubois/.lima.yaml",
  "github:jandubois/jandubois/@v0.0.0",
  "github:jandubois/jandubois",
  "github:jandubois//templates/demo.yaml@main",
  "github:jandubois//templates/demo.yaml",
  "github:jandubois//templates/demo",
  "github:jandubois//.lima.yaml",
  "github:jandubois//@v0.0.0",
  "github:jandubois//",
  "github:jandubois/",
  "github:jandubois@v0.0.0",
  "github:jandubois",
  "github:jandubois/jandubois/example.yaml",
  "github:jandubois/jandubois/example@main",
  "github:jandubois//example.yaml@v0.0.0",
  "github:jandubois//example",
  "github:jandubois/jandubois/docs/.lima.yaml@main",
  "github:jandubois/jandubois/docs/.lima.yaml",
  "github:jandubois/jandubois/docs/.lima",
  "github:jandubois/jandubois/docs/",
  "github:jandubois//docs/.lima.yaml@v0.0.0",
  "github:jandubois//docs/.lima.yaml",
  "github:jandubois//docs/.lima",
  "github:jandubois//docs/@v0.0.0",
  "github:jandubois//docs/",
];

/** The error a locator resolves to: Lima's words and tslima's. */
async function failure(locator: string, env: NodeJS.ProcessEnv): Promise<{ lima: string; message: string; hint: string }> {
  try {
    await resolveGithub(locator, githubIo(env));
  } catch (e) {
    assert.ok(isTslimaError(e), String(e));
    assert.equal(e.code, "ERR_TSLIMA_GITHUB_LOCATOR");
    return { lima: e.lima ?? "", message: e.message, hint: e.hint ?? "" };
  }
  assert.fail(`${locator} resolved`);
}

test("every locator of Lima's list leads to templates/demo.yaml of jandubois/jandubois, on the branch or tag named", async (ctx) => {
  const gh = await serveGithub(ctx);
  for (const url of URLS) {
    const tag = url.includes("v0.0.0") ? "v0.0.0" : "main";
    assert.equal(await resolveGithub(url, githubIo(gh.env)), `${gh.base}/raw/jandubois/jandubois/${tag}/templates/demo.yaml`, url);
  }
  // the default branch is asked for only when none is named
  gh.seen.length = 0;
  await resolveGithub("github:jandubois//templates/demo.yaml@main", githubIo(gh.env));
  assert.deepEqual(gh.seen, ["/raw/jandubois/jandubois/main/templates/demo.yaml"]);
});

test("a .lima.yaml that is no symlink is kept; an extension other than .yaml/.yml is neither added to nor fetched", async (ctx) => {
  const gh = await serveGithub(ctx);
  assert.equal(await resolveGithub("github:jandubois//yaml/", githubIo(gh.env)), `${gh.base}/raw/jandubois/jandubois/main/yaml/.lima.yaml`);
  gh.seen.length = 0;
  assert.equal(await resolveGithub("github:jandubois//test/.script.sh", githubIo(gh.env)), `${gh.base}/raw/jandubois/jandubois/main/test/.script.sh`);
  assert.deepEqual(gh.seen, ["/api/repos/jandubois/jandubois"]);
  // a file with a colon is a template, even when it starts with github: outside an org repository
  assert.equal(await resolveGithub("github:other/repo", githubIo(gh.env)), `${gh.base}/raw/other/repo/main/.lima.yaml`);
  // one hop only: a symlink's target is not read again
  assert.equal(await resolveGithub("github:evil/evil/ok/a", githubIo(gh.env)), `${gh.base}/raw/evil/evil/main/ok/b.yaml`);
});

test("missing files, hidden files without extension and a missing org fail with Lima's words", async (ctx) => {
  const gh = await serveGithub(ctx);
  const missing = await failure("github:jandubois//missing/", gh.env);
  assert.equal(missing.lima, `file \`${gh.base}/raw/jandubois/jandubois/main/missing/.lima.yaml\` not found or inaccessible: status 404`);
  assert.match(missing.hint, /path and the branch/);
  assert.equal((await failure("github:jandubois//test/.hidden", gh.env)).lima, `file \`${gh.base}/raw/jandubois/jandubois/main/test/.hidden.yaml\` not found or inaccessible: status 404`);
  assert.equal((await failure("github:", gh.env)).lima, "github: URL must contain at least an ORG, got ``");
  assert.equal((await failure("github:/jandubois", gh.env)).lima, "github: URL must contain at least an ORG, got ``");
  assert.equal((await failure("github:nosuch/repo", gh.env)).lima, 'failed to get default branch for nosuch/repo: GitHub API returned status 404: {"message":"Not Found"}');
});

test("org redirects: another repository of the org, the branch passed on; never another org, a branch, or a loop", async (ctx) => {
  const gh = await serveGithub(ctx);
  const lines: string[] = [];
  const io = { ...githubIo(gh.env), debug: (m: string) => lines.push(m) };
  assert.equal(await resolveGithub("github:jandubois//redirect/", io), `${gh.base}/raw/jandubois/lima/master/templates/default.yaml`);
  assert.deepEqual(lines, [
    "Locator `github:jandubois//redirect/` replaced with `github:jandubois/lima/templates/default`",
    `Locator \`github:jandubois/lima/templates/default\` replaced with \`${gh.base}/raw/jandubois/lima/master/templates/default.yaml\``,
  ]);
  lines.length = 0;
  // v1.2.1 is no tag of jandubois/jandubois: the redirect is read from its default branch
  assert.equal(await resolveGithub("github:jandubois//redirect/@v1.2.1", io), `${gh.base}/raw/jandubois/lima/v1.2.1/templates/default.yaml`);
  assert.equal(lines[0], "Locator `github:jandubois//redirect/@v1.2.1` replaced with `github:jandubois/lima/templates/default@v1.2.1`");
  for (const suffix of ["", "@main"]) {
    assert.match((await failure(`github:jandubois//invalid/org/${suffix}`, gh.env)).lima, /^redirect `github:lima-vm` is not a `github:jandubois` URL \(from `.*\/invalid\/org\/\.lima\.yaml`\)$/);
  }
  for (const suffix of ["", "@v0.0.0"]) {
    assert.match((await failure(`github:jandubois//invalid/tag/${suffix}`, gh.env)).lima, /^redirect `github:jandubois\/\/@v0\.0\.0` must not include a branch\/tag\/sha/);
  }
  const loop = await failure("github:jandubois//loop/", gh.env);
  assert.equal(loop.lima, "custom locator `github:jandubois//loop/` has a redirect loop");
  assert.equal(loop.message, "the github: locator `github:jandubois//loop/` has a redirect loop: github:jandubois//loop/ -> github:jandubois//back/ -> github:jandubois//loop/");
  assert.equal((await failure("github:jandubois//back/@main", gh.env)).lima, "custom locator `github:jandubois//back/@main` has a redirect loop");
});

test("hostile input: paths, symlinks and branches that climb out of the repository, URL-changing characters", async (ctx) => {
  const gh = await serveGithub(ctx);
  assert.equal((await failure("github:evil/evil", gh.env)).lima, "symlink target `../../other/x.yaml` in `.lima.yaml` escapes the repository");
  assert.equal((await failure("github:evil/evil/deep/", gh.env)).lima, "symlink target `../../../x.yaml` in `deep/.lima.yaml` escapes the repository");
  assert.equal((await failure("github:evil/../x", gh.env)).lima, "repo `..` in github: URL `evil/../x` escapes the org");
  assert.equal((await failure("github:evil/./x", gh.env)).lima, "repo `.` in github: URL `evil/./x` escapes the org");
  assert.equal((await failure("github:../x", gh.env)).lima, "org `..` in github: URL `../x` is no org");
  // an org redirect is checked again when it is resolved
  assert.equal((await failure("github:evil//leave/", gh.env)).lima, "repo `..` in github: URL `evil/../../torvalds/linux/master/evil` escapes the org");
  assert.equal((await failure("github:evil/evil/a/../../x", gh.env)).lima, "path `a/../../x` in github: URL `evil/evil/a/../../x` escapes the repository");
  assert.equal((await failure("github:evil/evil/x@../y", gh.env)).lima, "branch `../y` in github: URL `evil/evil/x` escapes the repository");
  assert.match((await failure("github:evil/branch/x.yaml", gh.env)).message, /default branch "\.\.\/\.\.\/x" of evil\/branch is not a branch name/);
  for (const l of ["github:evil/evil/x?y", "github:evil/evil/x#y", "github:evil/evil/%2e%2e/x", "github:evil/ev il"]) {
    assert.match((await failure(l, gh.env)).message, /character/, l);
  }
  // a path cleaned inside the repository is fetched clean
  gh.seen.length = 0;
  await resolveGithub("github:jandubois/jandubois/docs/../templates/demo.yaml@main", githubIo(gh.env));
  assert.deepEqual(gh.seen, ["/raw/jandubois/jandubois/main/templates/demo.yaml"]);
});

function cli(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, "bin", bin), ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test("limactl template url prints the URL with Lima's warning and --debug lines; tslima create makes an instance from it", async (ctx) => {
  const gh = await serveGithub(ctx);
  const home = mkdtempSync(join(tmpdir(), "tslima-github-"));
  ctx.after(() => rmSync(home, { recursive: true, force: true }));
  const env = { ...gh.env, TSLIMA_HOME: home };
  const ok = await cli("limactl.js", ["--debug", "template", "url", "github:jandubois//docs/"], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `${gh.base}/raw/jandubois/jandubois/main/templates/demo.yaml\n`);
  assert.deepEqual(logSummary(ok.stderr), [
    "debug: Locator `github:jandubois//docs/` replaced with `" + `${gh.base}/raw/jandubois/jandubois/main/templates/demo.yaml` + "`",
    "warning: The github: scheme is still EXPERIMENTAL",
  ]);
  const loop = await cli("limactl.js", ["template", "url", "github:jandubois//loop/"], env);
  assert.equal(loop.code, 1);
  assert.deepEqual(logSummary(loop.stderr), ["fatal: custom locator `github:jandubois//loop/` has a redirect loop"]);
  const own = await cli("tslima.js", ["template", "url", "github:jandubois//loop/"], env);
  assert.match(own.stderr, /^error: the github: locator .* has a redirect loop: .*\nhint: fix the \.lima\.yaml redirects .*\ncode: ERR_TSLIMA_GITHUB_LOCATOR\n$/);
  const valid = await cli("limactl.js", ["validate", "github:jandubois//example"], env);
  assert.equal(valid.code, 0, valid.stderr);
  const invalid = await cli("limactl.js", ["validate", "github:evil/evil/host"], env);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /names a file on this host/);
  // `start github:ORG` is a locator, not an instance named so (start then creates as create does)
  assert.ok(isLocator("github:jandubois"));
  const created = await cli("tslima.js", ["create", "github:jandubois//example"], env);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stderr, /The github: scheme is still EXPERIMENTAL/);
  // named after templates/demo.yaml, its base: template:default merged in
  assert.match(readFileSync(join(home, "demo", "lima.yaml"), "utf8"), /location: "build:debian-12"/);
});

test("base: github:... in a template is fetched as a URL; what a github: locator names is a remote template", async (ctx) => {
  const gh = await serveGithub(ctx);
  const saved = { api: process.env.TSLIMA_GITHUB_API, raw: process.env.TSLIMA_GITHUB_RAW };
  Object.assign(process.env, gh.env);
  ctx.after(() => {
    for (const [k, v] of [["TSLIMA_GITHUB_API", saved.api], ["TSLIMA_GITHUB_RAW", saved.raw]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const t = tempTree({ "local.yaml": "base: github:jandubois//docs/\ncpus: 3\n" });
  ctx.after(t.cleanup);
  const home = join(t.dir, "home");
  const { text } = await resolveTemplate(t.path("local.yaml"), { tslimaHome: home });
  assert.match(text, /cpus: 3/);
  assert.match(text, /location: "build:debian-12"/, "demo.yaml's own base, template:default, is merged in");
  assert.ok(gh.seen.includes("/raw/jandubois/jandubois/main/templates/demo.yaml"));
  const { config } = await loadConfig("github:jandubois//example", { hostFacts: linuxHost, tslimaHome: home });
  assert.equal(config.vmType, "qemu");
  await assert.rejects(loadConfig("github:evil/evil/host", { hostFacts: linuxHost, tslimaHome: home }), (e: unknown) => e instanceof ConfigError && /"\/etc\/hosts" names a file on this host/.test(e.message));
});
