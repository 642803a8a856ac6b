/** A UDP flood from many 127/8 source addresses, paced by a regular client's round trips (unit and e2e tests of the UDP relay). */
import { createSocket, type Socket } from "node:dgram";

/** The source address of flood sender `i`: 127.1.0.1 and up, a distinct one per 256 senders at least. */
export function floodAddress(i: number): string {
  return `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${(i & 255) || 1}`;
}

/**
 * A regular client of 127.0.0.1:port (one socket): `ask()` sends a numbered text and resolves true
 * when the echo server behind the forward answers "echo:" + it within `ms`.
 */
export async function udpProbe(port: number, ms = 5000): Promise<{ ask(): Promise<boolean>; asked: number; close(): void }> {
  const sock = createSocket("udp4");
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  const p = {
    asked: 0,
    ask(): Promise<boolean> {
      const text = `probe ${p.asked++}`;
      return new Promise<boolean>((resolve) => {
        const on = (m: Buffer) => {
          if (m.toString() !== `echo:${text}`) return;
          clearTimeout(timer);
          sock.off("message", on);
          resolve(true);
        };
        const timer = setTimeout(() => (sock.off("message", on), resolve(false)), ms);
        sock.on("message", on);
        sock.send(text, port, "127.0.0.1");
      });
    },
    close: () => sock.close(),
  };
  return p;
}

/**
 * One datagram to 127.0.0.1:port from each of `n` distinct (address, port) pairs, `batch` senders at
 * a time; after each batch `probe` must be answered (which also paces the flood, so the relay's
 * socket buffer does not overflow and every source reaches the relay). The number of probes that failed.
 */
export async function udpFlood(port: number, n: number, probe: () => Promise<boolean>, batch = 200): Promise<number> {
  let failed = 0;
  for (let start = 0; start < n; start += batch) {
    const socks: Socket[] = [];
    await Promise.all(
      Array.from({ length: Math.min(batch, n - start) }, (_, k) => {
        const s = createSocket("udp4");
        s.on("error", () => undefined);
        socks.push(s);
        return new Promise<void>((resolve) => s.bind(0, floodAddress(start + k), () => s.send("flood", port, "127.0.0.1", () => resolve())));
      }),
    );
    for (const s of socks) s.close();
    if (!(await probe())) failed++;
  }
  return failed;
}
