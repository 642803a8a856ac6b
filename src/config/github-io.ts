/**
 * The requests of github.ts: GET over the network with Lima's User-Agent, a GitHub token from
 * GH_TOKEN or GITHUB_TOKEN for the API (a higher rate limit), a timeout, and a cap on the body read.
 * TSLIMA_GITHUB_API and TSLIMA_GITHUB_RAW replace the API and raw-content base URLs: test hooks
 * (the tests serve a repository tree on 127.0.0.1), which also change the URL a locator resolves to.
 */
import { resolveGithub, type GithubIo } from "./github.js";

/** The network GithubIo; `debug` gets Lima's --debug lines. */
export function githubIo(env: NodeJS.ProcessEnv = process.env, debug?: (msg: string) => void): GithubIo {
  const api = env.TSLIMA_GITHUB_API || "https://api.github.com";
  const raw = env.TSLIMA_GITHUB_RAW || "https://raw.githubusercontent.com";
  const token = env.GH_TOKEN || env.GITHUB_TOKEN;
  return {
    api,
    raw,
    ...(debug ? { debug } : {}),
    async get(url, limit) {
      const headers: Record<string, string> = { "User-Agent": "lima" };
      if (url.startsWith(`${api.replace(/\/+$/, "")}/`)) {
        headers.Accept = "application/vnd.github.v3+json";
        if (token) headers.Authorization = `token ${token}`;
      }
      const res = await fetch(url, { headers, redirect: "follow", signal: AbortSignal.timeout(60_000) });
      const chunks: Uint8Array[] = [];
      let size = 0;
      // a hostile server may send without end: read no more than `limit`
      for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= limit) break;
      }
      return { status: res.status, body: Buffer.concat(chunks).subarray(0, limit).toString("utf8") };
    },
  };
}

/** A `github:` locator's raw-content URL, over the network. */
export function resolveGithubLocator(locator: string, debug?: (msg: string) => void): Promise<string> {
  return resolveGithub(locator, githubIo(process.env, debug));
}
