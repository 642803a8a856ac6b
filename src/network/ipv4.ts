/**
 * IPv4 arithmetic for networks.yaml: dotted quads, netmasks and their prefix lengths, subnets and
 * their overlap. Addresses are unsigned 32-bit numbers. Pure.
 */

/** The address of a dotted quad (four decimal bytes, no leading zeros), or undefined. */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** The netmask of a prefix length (0..32). */
export function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** The prefix length of a contiguous netmask, or undefined when its ones are not contiguous. */
export function prefixOf(mask: number): number | undefined {
  for (let p = 0; p <= 32; p++) if (maskOf(p) === mask) return p;
  return undefined;
}

/** The first address of the subnet `addr` is in. */
export function networkOf(addr: number, prefixLength: number): number {
  return (addr & maskOf(prefixLength)) >>> 0;
}

/** The last address (broadcast) of the subnet `addr` is in. */
export function broadcastOf(addr: number, prefixLength: number): number {
  return (networkOf(addr, prefixLength) | ~maskOf(prefixLength)) >>> 0;
}

/** Whether two subnets share an address. */
export function overlaps(a: { addr: number; prefixLength: number }, b: { addr: number; prefixLength: number }): boolean {
  const p = Math.min(a.prefixLength, b.prefixLength);
  return networkOf(a.addr, p) === networkOf(b.addr, p);
}

/** 127.0.0.0/8 and 0.0.0.0. */
export function isLoopbackOrUnspecified(addr: number): boolean {
  return addr === 0 || addr >>> 24 === 127;
}
