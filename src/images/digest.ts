import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { TslimaError } from "../errors.js";

export type DigestAlgorithm = "sha256" | "sha512";
export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** Pure: parses Lima's `ALGO:HEX` digest notation (`sha256:` or `sha512:`). */
export function parseDigest(text: string, where = "digest"): Digest {
  const m = /^(sha256|sha512):([0-9a-fA-F]+)$/.exec(text.trim());
  const algorithm = m?.[1] as DigestAlgorithm | undefined;
  if (!m || !algorithm || m[2]!.length !== hexLength[algorithm]) {
    throw new TslimaError("IMAGE_DIGEST_INVALID", `${where}: "${text}" is not a digest`, {
      hint: 'write it as "sha256:<64 hex digits>" or "sha512:<128 hex digits>"',
    });
  }
  return { algorithm, hex: m[2]!.toLowerCase() };
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

/** Hashes a file. */
export async function fileDigest(path: string, algorithm: DigestAlgorithm = "sha256"): Promise<Digest> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { algorithm, hex: hash.digest("hex") };
}
