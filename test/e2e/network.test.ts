/**
 * Lima's user-v2 network, end to end (issue 28): an instance booted on it, a booted snapshot of it,
 * and two instances made from that snapshot, each with its own MAC and address, reaching each other
 * and the first by `lima-NAME.internal` over TCP and UDP; an instance off the network (a clone of the
 * run's base snapshot) reaching none of them; the package mirror through the user-mode NIC; the
 * host through `tunnel`; a switch killed with SIGKILL and started again by the agents; the switch
 * ending when its last instance stops. n1 also shows hostResolver (Lima's default): the guest asks
 * the host agent's DNS server, which answers as the host resolves and from hostResolver.hosts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnSync } from "node:child_process";
import type { RunningInstance } from "../../src/index.js";
import { baseSnapshot, bootGuest, Cli, guestYaml, parseList, shareUserKey } from "./harness.js";

const cli = new Cli("network");
const LONG = { timeout: 30 * 60_000 };
const NAMES = ["n1", "c1", "c2", "off"];
let n1: RunningInstance | undefined;
let off: RunningInstance | undefined;
const switchDir = () => join(cli.home, "_networks", "user-v2");

before(async () => {
  await baseSnapshot();
  shareUserKey(cli); // before n1's start makes a key: the clone "off" needs the base snapshot's
  n1 = await bootGuest(cli, {
    cold: true,
    reason: "a NIC on the user-v2 network is hardware: a clone of the base snapshot cannot gain one",
    name: "n1",
    yaml: guestYaml(["networks:", "- lima: user-v2", "hostResolver:", "  hosts:", "    db.tslima.test: 192.0.2.10", "    alias.tslima.test: db.tslima.test", ""].join("\n")),
  });
}, LONG);
after(async () => {
  await off?.[Symbol.asyncDispose]();
  await n1?.[Symbol.asyncDispose]();
  await cli.cleanup(NAMES);
});

async function sh(name: string, script: string): Promise<string> {
  const r = await cli.run(["shell", name, "--", "sh", "-c", script]);
  assert.equal(r.code, 0, `${name}: ${script}\n${r.stderr}`);
  return r.stdout.trim();
}

/** The guest's lima0: "MAC ADDRESS/PREFIX". */
const lima0 = (name: string) => sh(name, "printf '%s ' $(cat /sys/class/net/lima0/address); ip -4 -o addr show dev lima0 | awk '{print $4}'");

/** A raw DNS A query from the guest to SERVER:PORT, printing the answer's addresses (python3). */
const rawQuery = (server: string, port: string, name: string, qtype = 1) => `python3 -c '
import socket, struct
q = struct.pack(">HHHHHH", 7, 0x100, 1, 0, 0, 0) + b"".join(bytes([len(l)]) + l.encode() for l in "${name}".split(".")) + b"\\0" + struct.pack(">HH", ${qtype}, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(q, ("${server}", ${port}))
r = s.recv(2048); n = struct.unpack(">H", r[6:8])[0]; i = len(q); out = []
for k in range(n):
    ln = struct.unpack(">H", r[i+10:i+12])[0]; out.append(".".join(str(b) for b in r[i+12:i+12+ln]) if ln == 4 else r[i+12:i+12+ln].hex()); i += 12 + ln
print("rcode=%d %s" % (r[3] & 15, " ".join(out)))
'`;

/** A TCP and a UDP echo server on port 7000 in the guest, answering with its hostname. */
const ECHO_SERVER = `nohup python3 -c '
import socket, threading
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("0.0.0.0", 7000)); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 7000))
me = lambda: socket.gethostname().encode()  # asked each time: a clone runs this same process under its own name
def udp():
    while True:
        d, a = u.recvfrom(2048); u.sendto(b"udp " + d + b" " + me(), a)
threading.Thread(target=udp, daemon=True).start()
while True:
    c, a = t.accept(); c.sendall(b"tcp " + c.recv(100) + b" " + me()); c.close()
' >/dev/null 2>&1 &`;

/** From the guest: TCP and UDP to HOST:7000 (retried for up to `tries` seconds); prints both answers or the error. */
const probe = (host: string, tries = 20) => `python3 -c '
import socket, sys, time
for i in range(${tries}):
    try:
        s = socket.create_connection(("${host}", 7000), timeout=3); s.sendall(b"hi"); t = s.recv(100).decode()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3); u.sendto(b"hi", ("${host}", 7000)); d = u.recv(100).decode()
        print(t + " | " + d); sys.exit(0)
    except Exception as e:
        err = e; time.sleep(1)
print("ERR " + type(err).__name__ + ": " + str(err)); sys.exit(1)
'`;

test("an instance booted on user-v2 gets the network's address, DNS for .internal, and keeps eth0 as its way out", LONG, async () => {
  const [mac, addr] = (await lima0("n1")).split(" ");
  assert.match(mac ?? "", /^52:55:55:/);
  assert.match(addr ?? "", /^192\.168\.104\.\d+\/24$/);
  const route = await sh("n1", "ip route show default");
  assert.match(route, /dev eth0/, "the default route stays on the user-mode NIC");
  assert.equal(await sh("n1", "getent hosts lima-n1.internal | awk '{print $1}'"), addr?.split("/")[0]);
  const leases = JSON.parse(readFileSync(join(switchDir(), "leases.json"), "utf8")) as Record<string, string>;
  assert.equal(leases.n1, addr?.split("/")[0], "the switch's lease is the guest's address");
});

test("hostResolver: the guest asks its host agent's DNS server, which answers as the host (its /etc/hosts, changed while the guest runs) and from hostResolver.hosts", LONG, async () => {
  const port = readFileSync(join(cli.home, "n1", "host-resolver.port"), "utf8").trim();
  assert.match(port, /^\d+$/);
  const status = await sh("n1", "resolvectl status --no-pager | sed -n '1,12p'");
  assert.match(status, new RegExp(`192\\.168\\.5\\.2:${port}`), status);
  assert.equal(await sh("n1", rawQuery("192.168.5.2", port, "alias.tslima.test")), "rcode=0 192.0.2.10", "an entry naming another entry");
  assert.equal(await sh("n1", rawQuery("192.168.5.2", port, "db.tslima.test", 28)), "rcode=0", "no AAAA without hostResolver.ipv6");
  if (process.getuid?.() !== 0) return; // the host's /etc/hosts is root's
  const hostOnly = `tslima-e2e-${randomBytes(4).toString("hex")}.example`;
  writeFileSync("/etc/hosts", `${readFileSync("/etc/hosts", "utf8")}192.0.2.55 ${hostOnly}\n`);
  try {
    assert.equal(await sh("n1", `getent ahostsv4 ${hostOnly} | awk 'NR==1{print $1}'`), "192.0.2.55", "a name the host's /etc/hosts got while the guest runs");
  } finally {
    writeFileSync("/etc/hosts", readFileSync("/etc/hosts", "utf8").split("\n").filter((l) => !l.includes(hostOnly)).join("\n"));
  }
});

test("two instances from one booted snapshot on the network get their own MAC and address, and talk by name over TCP and UDP", LONG, async () => {
  await sh("n1", ECHO_SERVER);
  await cli.ok(["snapshot", "create", "--running", "n1", "ns"]);
  for (const n of ["c1", "c2"]) {
    const r = await cli.ok(["start", "--from", "ns", n]);
    assert.match(r.stderr, /network: lima0 192\.168\.104\.\d+\/24/, `${n}'s start says its address`);
  }
  const seen = await Promise.all(["n1", "c1", "c2"].map(lima0));
  assert.equal(new Set(seen.map((s) => s.split(" ")[0])).size, 3, `three MACs: ${seen.join(", ")}`);
  assert.equal(new Set(seen.map((s) => s.split(" ")[1])).size, 3, `three addresses: ${seen.join(", ")}`);
  // the clones run the snapshot's echo server (its memory): each answers with its own name
  assert.equal(await sh("c1", probe("lima-c2.internal")), "tcp hi lima-c2 | udp hi lima-c2");
  assert.equal(await sh("c2", probe("lima-c1.internal")), "tcp hi lima-c1 | udp hi lima-c1");
  assert.equal(await sh("c1", probe("lima-n1.internal")), "tcp hi lima-n1 | udp hi lima-n1");
  const rows = parseList((await cli.ok(["list", "--json"])).stdout);
  const macs = rows.filter((r) => ["c1", "c2"].includes(String(r.name))).map((r) => (r.network as Array<{ macAddress?: string }>)[0]?.macAddress);
  assert.deepEqual(macs, seen.slice(1).map((s) => s.split(" ")[0]), "list --json shows each instance's own MAC");
});

test("an instance off the network reaches none of them", LONG, async () => {
  off = await bootGuest(cli, { from: "base-snapshot", name: "off" });
  const c2 = (await lima0("c2")).split(" ")[1]?.split("/")[0] ?? "";
  const r = await cli.run(["shell", "off", "--", "sh", "-c", probe(c2, 2)]);
  assert.equal(r.code, 1, `off reached ${c2}: ${r.stdout}`);
  const name = await cli.run(["shell", "off", "--", "getent", "hosts", "lima-c2.internal"]);
  assert.notEqual(name.code, 0, "no name either");
});

test("a networked guest reaches the package mirror; the host reaches the network through tunnel", LONG, async () => {
  await sh("c1", "sudo apt-get update -qq");
  const t = await cli.ok(["tunnel", "c1"]);
  const port = /127\.0\.0\.1:(\d+)/.exec(t.stdout)?.[1];
  assert.ok(port, t.stdout);
  await sh("c2", "cd /tmp && echo from-c2 > hello.txt && (nohup python3 -m http.server 8080 >/dev/null 2>&1 &) && sleep 1");
  let body = "";
  for (let i = 0; i < 10 && body !== "from-c2"; i++) {
    const r = spawnSync("curl", ["-sf", "--max-time", "10", "--proxy", `socks5h://127.0.0.1:${port}`, "http://lima-c2.internal:8080/hello.txt"], { encoding: "utf8" });
    body = r.stdout.trim();
    if (body !== "from-c2") await sleep(1000);
  }
  assert.equal(body, "from-c2");
});

test("a switch killed with SIGKILL is started again by the instances' agents; the guests keep their addresses", LONG, async () => {
  const before = await Promise.all(["c1", "c2"].map(lima0));
  const pid = Number(readFileSync(join(switchDir(), "switch.pid"), "utf8").trim());
  process.kill(pid, "SIGKILL");
  assert.equal(await sh("c1", probe("lima-c2.internal", 30)), "tcp hi lima-c2 | udp hi lima-c2");
  const again = Number(readFileSync(join(switchDir(), "switch.pid"), "utf8").trim());
  assert.notEqual(again, pid, "a new switch");
  assert.deepEqual(await Promise.all(["c1", "c2"].map(lima0)), before);
});

test("the switch ends when the last instance on the network stops", LONG, async () => {
  for (const n of ["c1", "c2"]) await cli.ok(["stop", n]);
  await n1?.stop();
  let gone = false;
  for (let i = 0; i < 60 && !gone; i++) {
    gone = !existsSync(join(switchDir(), "switch.sock"));
    if (!gone) await sleep(1000);
  }
  assert.ok(gone, "switch.sock is removed once no instance is attached");
  assert.ok(existsSync(join(switchDir(), "leases.json")), "the leases stay for the next start");
});
