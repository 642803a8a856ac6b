import { formatIPv6 } from "./ip.js";
import type { Listener } from "./types.js";

/**
 * Parsing /proc/net/tcp and /proc/net/tcp6 addresses. The kernel prints a local address as
 * `HEXADDR:HEXPORT`: the address is the raw in-memory bytes of the 32-bit words it is made of, so on
 * a little-endian guest (x86_64, aarch64, riscv64: every guest tslima runs) each 4-byte word appears
 * byte-reversed; the port is a plain hex number. Pure.
 */

/** Reverses the bytes of each 8-hex-digit word: "0100007F" -> [127, 0, 0, 1]. */
function wordsToBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  return bytes;
}

/**
 * One `HEXADDR:HEXPORT` field of /proc/net/tcp (8 hex digits) or tcp6 (32 digits). IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) come back as IPv4. Undefined when the field is malformed.
 */
export function parseProcNetAddress(field: string): { ip: string; port: number } | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(field);
  if (!m) return undefined;
  const [, addr = "", portHex = ""] = m;
  const bytes = wordsToBytes(addr);
  const port = parseInt(portHex, 16);
  if (bytes.length === 4) return { ip: bytes.join("."), port };
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return { ip: bytes.slice(12).join("."), port };
  return { ip: formatIPv6(bytes), port };
}

/**
 * Listeners from a list of address fields (TCP; a `u:` prefix marks a UDP one), without duplicates,
 * TCP first, then IPv4 first (stable order).
 */
export function listenersFromFields(fields: readonly string[]): Listener[] {
  const seen = new Map<string, Listener>();
  for (const f of fields) {
    const proto = f.startsWith("u:") ? "udp" : "tcp";
    const a = parseProcNetAddress(proto === "udp" ? f.slice(2) : f);
    if (!a || a.port === 0) continue;
    const key = `${proto}|${a.ip}|${a.port}`;
    if (!seen.has(key)) seen.set(key, { proto, ip: a.ip, port: a.port });
  }
  const v6 = (l: Listener) => (l.ip.includes(":") ? 1 : 0);
  const udp = (l: Listener) => (l.proto === "udp" ? 1 : 0);
  return [...seen.values()].sort((a, b) => udp(a) - udp(b) || v6(a) - v6(b) || a.port - b.port || a.ip.localeCompare(b.ip));
}
