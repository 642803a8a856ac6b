/**
 * Network benchmark (run it with scripts/bench/network): one instance booted on the user-v2 network,
 * a booted snapshot of it, two instances made from that (A and B). Then, from one run:
 *   1. A -> B over the user-v2 network (lima-B.internal), TCP, one stream;
 *   2. A -> B through the host: B's port is forwarded to the host's 127.0.0.1 (tslima's automatic
 *      forward of a guest listener) and A connects to the host (192.168.5.2, QEMU's user network);
 * BENCH_RUNS times each, interleaved, with the median MiB/s of each path and their ratio. The
 * receiver times the bytes from the first to the last (python3 in the guests; no iperf3 in the image).
 * Nothing here is asserted; the figures are for people.
 */
import { connect } from "node:net";
import { Cli } from "../../test/support/cli.js";
import { guestYaml } from "../../test/support/guest.js";

const MIB = Number(process.env.BENCH_MIB ?? 64);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const START_TIMEOUT = process.env.BENCH_START_TIMEOUT ?? "15m";
const PORT = 5201;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Receives one connection's bytes on PORT and prints "BYTES SECONDS" (first byte to EOF). */
const RECEIVER = `nohup python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", ${PORT})); s.listen()
while True:
    c, a = s.accept(); n = 0; t0 = None
    while True:
        d = c.recv(262144)
        if not d: break
        if t0 is None: t0 = time.monotonic()
        n += len(d)
    dt = time.monotonic() - (t0 or time.monotonic())
    c.sendall(("%d %.6f" % (n, dt)).encode()); c.close()
' >/dev/null 2>&1 &`;

/** Sends MIB MiB to HOST:PORT, then prints the receiver's "BYTES SECONDS". */
const sender = (host: string) => `python3 -c '
import socket
s = socket.create_connection(("${host}", ${PORT}), timeout=60); buf = bytes(65536)
for i in range(${MIB} * 16): s.sendall(buf)
s.shutdown(socket.SHUT_WR); print(s.recv(100).decode())
'`;

async function sh(cli: Cli, name: string, script: string): Promise<string> {
  return (await cli.ok(["shell", name, "--", "sh", "-c", script])).stdout.trim();
}

async function hostPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

async function main(): Promise<void> {
  const cli = new Cli("bench-network");
  try {
    const yaml = cli.file("net.yaml", guestYaml("networks:\n- lima: user-v2\n"));
    console.log("booting the source instance on user-v2 (cold) ...");
    await cli.ok(["start", "--name", "src", "--timeout", START_TIMEOUT, yaml]);
    await cli.ok(["snapshot", "create", "--running", "src", "net"]);
    await cli.ok(["stop", "src"]);
    for (const n of ["a", "b"]) await cli.ok(["start", "--from", "net", n]);
    await sh(cli, "b", RECEIVER);
    for (let i = 0; i < 60 && !(await hostPortOpen(PORT)); i++) await new Promise((r) => setTimeout(r, 1000));
    const paths: Array<[string, string]> = [
      ["user-v2 (A -> lima-b.internal)", "lima-b.internal"],
      ["host loopback (A -> 192.168.5.2 -> forward -> B)", "192.168.5.2"],
    ];
    const rates = new Map(paths.map(([label]) => [label, [] as number[]]));
    for (let r = 0; r < RUNS; r++) {
      for (const [label, host] of paths) {
        const [bytes, secs] = (await sh(cli, "a", sender(host))).split(" ").map(Number);
        rates.get(label)?.push((bytes ?? 0) / 1048576 / (secs ?? NaN));
      }
    }
    console.log(`\nTCP, one stream, ${MIB} MiB per run, ${RUNS} runs (median; 1 vCPU guests under TCG)`);
    for (const [label, xs] of rates) console.log(`${label.padEnd(52)}${median(xs).toFixed(1).padStart(8)} MiB/s   (${xs.map((x) => x.toFixed(1)).join(", ")})`);
    const [v2, lo] = paths.map(([label]) => median(rates.get(label) ?? []));
    console.log(`ratio user-v2 / host loopback: ${((v2 ?? NaN) / (lo ?? NaN)).toFixed(2)}`);
  } finally {
    await cli.cleanup(["src", "a", "b"]);
  }
}

await main();
