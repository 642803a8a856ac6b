/**
 * Lima 2.x's `github:` template locators: `github:ORG[/REPO][/PATH][@BRANCH_OR_TAG]` stands for
 * `https://raw.githubusercontent.com/ORG/REPO/BRANCH/PATH`. REPO defaults to ORG, PATH to
 * `.lima.yaml` (also after a trailing `/`), a file name without extension gets `.yaml` (a hidden
 * file's leading dot does not count), a missing branch is the repository's default branch (GitHub
 * API). A `.yaml`/`.yml` file whose text is one word (no newline, space or colon) is a symlink,
 * relative to its directory and kept inside the repository. In a repository named like its org
 * (`github:ORG//...`), a file whose text starts with `github:` redirects to another `github:ORG/`
 * locator without branch (the one asked for is passed on), and a file missing on the branch asked for
 * is read from the default branch instead. Every locator reached is resolved again; one seen twice is
 * a loop. The rules are decided here over an injected `GithubIo`; github-io.ts does the requests.
 */
import { posix } from "node:path";
import { TslimaError } from "../errors.js";

/** The two requests the rules need, and where they go (github-io.ts). */
export interface GithubIo {
  /** Base URL of the GitHub REST API (https://api.github.com). */
  api: string;
  /** Base URL of raw file contents (https://raw.githubusercontent.com): the result's base too. */
  raw: string;
  /** GET `url`: the status and the first `limit` bytes of the body as text. */
  get(url: string, limit: number): Promise<{ status: number; body: string }>;
  /** Lima's debug line for each locator replaced by the next one. */
  debug?: (msg: string) => void;
}

const DEFAULT_FILE = ".lima.yaml";
const HINT = "check the github:ORG[/REPO][/PATH][@BRANCH] locator (`tslima template url LOCATOR` prints what it stands for)";

function fail(message: string, lima: string = message, hint: string = HINT): TslimaError {
  return new TslimaError("GITHUB_LOCATOR", message, { hint, lima });
}

/** Whether a cleaned path climbs above the repository's root. Pure. */
function escapes(p: string): boolean {
  const c = posix.normalize(p);
  return c === ".." || c.startsWith("../");
}

/** Characters that would change what a URL names (query, fragment, escapes) or break a log line. */
const UNSAFE = /[\s?#%\\\p{Cc}]/u;

/** The raw-content URL of one file (its path cleaned, never relying on the server for `..`). Pure. */
export function rawUrl(io: Pick<GithubIo, "raw">, org: string, repo: string, branch: string, path: string): string {
  const clean = posix.normalize(path).replace(/^\.\//, "");
  return `${io.raw.replace(/\/+$/, "")}/${org}/${repo}/${branch}/${clean}`;
}

/** The repository's default branch, asked of the GitHub API. */
async function defaultBranch(io: GithubIo, org: string, repo: string): Promise<string> {
  const where = `failed to get default branch for ${org}/${repo}`;
  let r;
  try {
    r = await io.get(`${io.api.replace(/\/+$/, "")}/repos/${org}/${repo}`, 64 * 1024);
  } catch (e) {
    const why = (e as Error).message;
    throw fail(`${where}: the GitHub API cannot be reached: ${why}`, `${where}: failed to query GitHub API: ${why}`, "check the network connection, or name the branch or tag with @BRANCH");
  }
  if (r.status !== 200) {
    const hint = r.status === 404 ? "check ORG and REPO (a private repository is not readable)" : "set GH_TOKEN or GITHUB_TOKEN for a higher rate limit, or name the branch or tag with @BRANCH";
    throw fail(`${where}: GitHub API returned status ${r.status}`, `${where}: GitHub API returned status ${r.status}: ${r.body}`, hint);
  }
  let branch: unknown;
  try {
    branch = (JSON.parse(r.body) as { default_branch?: unknown }).default_branch;
  } catch (e) {
    throw fail(`${where}: the GitHub API's answer is no JSON`, `${where}: failed to parse GitHub API response: ${(e as Error).message}`);
  }
  if (typeof branch !== "string" || branch === "") throw fail(`repository ${org}/${repo} has no default branch`);
  if (UNSAFE.test(branch) || escapes(branch)) throw fail(`the default branch ${JSON.stringify(branch)} of ${org}/${repo} is not a branch name tslima uses in a URL`);
  return branch;
}

function notFound(url: string, status: number): TslimaError {
  return fail(`file \`${url}\` not found or inaccessible: status ${status}`, undefined, "check the path and the branch or tag; a private repository is not readable");
}

/** Lima's rules for an org redirect: the first line names `github:ORG/...` without a branch; the asked branch is passed on. Pure. */
export function orgRedirect(body: string, org: string, branch: string, url: string): string {
  const redirect = (body.split("\n", 1)[0] ?? "").trim();
  const hint = "an org redirect (github:ORG//...) may only name another github:ORG/ locator without @BRANCH";
  if (!redirect.startsWith(`github:${org}/`)) throw fail(`redirect \`${redirect}\` is not a \`github:${org}\` URL (from \`${url}\`)`, undefined, hint);
  if (redirect.includes("@")) throw fail(`redirect \`${redirect}\` must not include a branch/tag/sha (from \`${url}\`)`, undefined, hint);
  return branch === "" ? redirect : `${redirect}@${branch}`;
}

/** The next locator for one `github:` locator: a raw-content URL, or another `github:` locator (an org redirect). */
export async function githubStep(locator: string, io: GithubIo): Promise<string> {
  const rest = locator.slice("github:".length);
  if (UNSAFE.test(rest)) throw fail(`github: locator \`${locator}\` has a character (space, ?, #, %, \\ or a control character) that tslima does not put in a URL`);
  const at = rest.indexOf("@");
  const input = at < 0 ? rest : rest.slice(0, at);
  const asked = at < 0 ? "" : rest.slice(at + 1);
  const parts = input.split("/");
  const org = parts[0] ?? "";
  // Lima reads `github:/x` as a URL without opaque part, so its message shows nothing
  if (org === "") throw fail(`github: URL must contain at least an ORG, got \`${rest.startsWith("/") ? "" : input}\``);
  const repo = parts[1] || org;
  let path = parts.slice(2).join("/");
  if (org === "." || org === "..") throw fail(`org \`${org}\` in github: URL \`${input}\` is no org`);
  if (repo === ".." || repo === ".") throw fail(`repo \`${repo}\` in github: URL \`${input}\` escapes the org`);
  if (escapes(path)) throw fail(`path \`${path}\` in github: URL \`${input}\` escapes the repository`);
  if (escapes(asked)) throw fail(`branch \`${asked}\` in github: URL \`${input}\` escapes the repository`);
  if (path === "") path = DEFAULT_FILE;
  else {
    if (path.endsWith("/")) path += DEFAULT_FILE;
    if (!posix.basename(path).slice(1).includes(".")) path += ".yaml";
  }
  const branch = asked === "" ? await defaultBranch(io, org, repo) : asked;
  const ext = posix.extname(path).toLowerCase();
  if (ext !== ".yaml" && ext !== ".yml") return rawUrl(io, org, repo, branch, path);

  const url = rawUrl(io, org, repo, branch, path);
  const r = await get(io, url, 1024);
  if (r.status === 404 && repo === org) {
    // an org repository may lack the branch or tag asked for: its redirects are read from the default branch
    let fallback: string | undefined;
    try {
      fallback = await defaultBranch(io, org, repo);
    } catch {
      fallback = undefined;
    }
    if (fallback !== undefined) {
      const again = rawUrl(io, org, repo, fallback, path);
      const r2 = await get(io, again, 64 * 1024);
      if (r2.status !== 200) throw notFound(again, r2.status);
      return orgRedirect(r2.body, org, branch, again);
    }
  }
  if (r.status !== 200) throw notFound(url, r.status);
  if (repo === org && r.body.startsWith("github:")) return orgRedirect(r.body, org, asked, url);
  if (r.body === "" || /[\n :]/.test(r.body)) return url;
  const target = posix.join(posix.dirname(path), r.body);
  if (escapes(target)) throw fail(`symlink target \`${r.body}\` in \`${path}\` escapes the repository`);
  return rawUrl(io, org, repo, branch, target);
}

async function get(io: GithubIo, url: string, limit: number): Promise<{ status: number; body: string }> {
  try {
    return await io.get(url, limit);
  } catch (e) {
    throw fail(`cannot fetch \`${url}\`: ${(e as Error).message}`, `failed to fetch file: ${(e as Error).message}`, "check the network connection");
  }
}

/**
 * What a `github:` locator stands for after every redirect: a raw-content URL (read as a remote
 * template). io.debug gets each step, as Lima's --debug lines.
 */
export async function resolveGithub(locator: string, io: GithubIo): Promise<string> {
  const seen = new Set<string>();
  let current = locator;
  while (current.startsWith("github:")) {
    if (seen.has(current)) {
      const chain = [...seen, current].join(" -> ");
      throw fail(`the github: locator \`${locator}\` has a redirect loop: ${chain}`, `custom locator \`${locator}\` has a redirect loop`, "fix the .lima.yaml redirects of the org repository (github:ORG//...)");
    }
    seen.add(current);
    const next = await githubStep(current, io);
    io.debug?.(`Locator \`${current}\` replaced with \`${next}\``);
    current = next;
  }
  return current;
}
