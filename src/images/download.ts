import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { TslimaError } from "../errors.js";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../store/private.js";
import { cacheEntry } from "./cache.js";
import { fileDigest, formatDigest, parseDigest, type Digest } from "./digest.js";
import type { ProgressListener } from "./types.js";

export interface DownloadOptions {
  /** TSLIMA_HOME/_cache/download/by-url-sha256. */
  cacheDir: string;
  /** `sha256:HEX` or `sha512:HEX`; the download is kept only if it matches. */
  digest?: string;
  onProgress?: ProgressListener;
  /** How often download-progress events are emitted. */
  progressIntervalMs?: number;
}

export interface Downloaded {
  path: string;
  cached: boolean;
}

/**
 * Fetches an http(s) URL into the download cache, or returns the cached copy. The body is written to
 * a `.partial` file and renamed to `data` only when complete and matching the digest; on any failure
 * nothing is left in the cache.
 */
export async function download(url: string, opts: DownloadOptions): Promise<Downloaded> {
  const want = opts.digest ? parseDigest(opts.digest, `digest of ${url}`) : undefined;
  const entry = cacheEntry(opts.cacheDir, url);
  const emit = opts.onProgress ?? (() => {});
  if (await cachedCopyMatches(entry, want)) {
    emit({ type: "download-done", url, receivedBytes: 0, seconds: 0, cached: true });
    return { path: entry.data, cached: true };
  }
  makePrivateDir(entry.dir);
  const started = Date.now();
  try {
    const { received, digest } = await fetchTo(url, entry.partial, want?.algorithm ?? "sha256", emit, opts.progressIntervalMs ?? 250);
    if (want && digest.hex !== want.hex) {
      throw new TslimaError(
        "IMAGE_DIGEST_MISMATCH",
        `${url}: digest mismatch: expected ${formatDigest(want)}, downloaded ${formatDigest(digest)}`,
        { hint: "the file changed upstream or the digest in images[] is wrong; nothing was cached" },
      );
    }
    await writeFile(entry.url, url + "\n");
    await writeFile(entry.digest, formatDigest(digest) + "\n");
    await rename(entry.partial, entry.data);
    emit({ type: "download-done", url, receivedBytes: received, seconds: (Date.now() - started) / 1000, cached: false });
    return { path: entry.data, cached: false };
  } catch (e) {
    await rm(entry.partial, { force: true });
    throw e;
  }
}

/** A cache hit: data exists and, when a digest is wanted, matches it (recorded, or else by hashing). */
async function cachedCopyMatches(entry: ReturnType<typeof cacheEntry>, want: Digest | undefined): Promise<boolean> {
  try {
    await stat(entry.url); // written just before data; absent means no complete download
  } catch {
    return false;
  }
  let recorded: string | undefined;
  try {
    recorded = (await readFile(entry.digest, "utf8")).trim();
  } catch {
    recorded = undefined;
  }
  try {
    if (!want) {
      return (await stat(entry.data)).isFile();
    }
    if (recorded === formatDigest(want)) return true;
    const got = await fileDigest(entry.data, want.algorithm);
    return got.hex === want.hex;
  } catch {
    return false;
  }
}

async function fetchTo(
  url: string,
  dest: string,
  algorithm: Digest["algorithm"],
  emit: ProgressListener,
  intervalMs: number,
): Promise<{ received: number; digest: Digest }> {
  const fail = (why: string, cause?: unknown) =>
    new TslimaError("IMAGE_DOWNLOAD_FAILED", `${url}: ${why}`, {
      hint: "check the network and the URL in images[] of lima.yaml",
      cause,
    });
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (e) {
    throw fail(describeFetchError(e), e);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw fail(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  const lengthHeader = res.headers.get("content-length");
  const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  emit({ type: "download-start", url, ...(total !== undefined ? { totalBytes: total } : {}) });
  const hash = createHash(algorithm);
  const out = createWriteStream(dest, { mode: PRIVATE_FILE_MODE });
  // Without a listener, an error the stream reports after destroy() below (a write still in flight
  // when the connection dropped) would be an uncaught exception; the writes' own errors reach
  // once("drain") and finished().
  out.on("error", () => undefined);
  const started = Date.now();
  let received = 0;
  let lastEmit = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
      if (!out.write(chunk)) await once(out, "drain");
      const now = Date.now();
      if (now - lastEmit >= intervalMs) {
        lastEmit = now;
        const rate = received / Math.max(0.001, (now - started) / 1000);
        emit({
          type: "download-progress",
          url,
          receivedBytes: received,
          bytesPerSecond: rate,
          ...(total !== undefined ? { totalBytes: total } : {}),
          ...(total !== undefined && rate > 0 ? { etaSeconds: (total - received) / rate } : {}),
        });
      }
    }
  } catch (e) {
    out.destroy();
    await finished(out).catch(() => undefined);
    if (isWriteError(e)) throw fail(`writing ${dest} failed (${(e as Error).message})`, e);
    throw fail(`connection lost after ${received}${total !== undefined ? ` of ${total}` : ""} bytes (${describeFetchError(e)})`, e);
  }
  out.end();
  try {
    await finished(out);
  } catch (e) {
    throw fail(`writing ${dest} failed (${(e as Error).message})`, e);
  }
  if (total !== undefined && received !== total) {
    throw fail(`connection closed after ${received} of ${total} bytes`);
  }
  return { received, digest: { algorithm, hex: hash.digest("hex") } };
}

/** fetch() wraps the interesting part (ECONNREFUSED, ENOTFOUND, "other side closed") in `cause`. */
function describeFetchError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? `: ${cause.message}` : ""}`;
  if (cause?.message) return cause.message;
  return err.message ?? String(e);
}

/** Whether an error came from writing the file (a system call's code), not from the connection. */
function isWriteError(e: unknown): boolean {
  return typeof (e as { syscall?: unknown }).syscall === "string";
}
