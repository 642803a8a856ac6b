/**
 * hostResolver (Lima's default): the guest's resolver asks the host agent's DNS server, which answers
 * as the host resolves (here: a name added to the host's /etc/hosts while the guest runs, when the
 * test runs as root) and from hostResolver.hosts; no AAAA without ipv6.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FieldFragment } from "./fragment.js";

const token = randomBytes(4).toString("hex");
const hostOnly = `tslima-e2e-${token}.example`;

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

export const fragment: FieldFragment = {
  title: "hostResolver: the guest asks the host agent's DNS server, which answers as the host and from hostResolver.hosts",
  yaml: () => ["hostResolver:", "  hosts:", "    db.tslima.test: 192.0.2.10", "    alias.tslima.test: db.tslima.test"].join("\n"),
  async check({ sh, dir }) {
    const port = readFileSync(join(dir, "host-resolver.port"), "utf8").trim();
    assert.match(port, /^\d+$/);
    const status = await sh("resolvectl status --no-pager | sed -n '1,12p'");
    assert.match(status, new RegExp(`192\\.168\\.5\\.2:${port}`), status);
    assert.equal(await sh(rawQuery("192.168.5.2", port, "alias.tslima.test")), "rcode=0 192.0.2.10", "an entry naming another entry");
    assert.equal(await sh(rawQuery("192.168.5.2", port, "db.tslima.test", 28)), "rcode=0", "no AAAA without hostResolver.ipv6");
    if (process.getuid?.() !== 0) return; // the host's /etc/hosts is root's
    const hosts = readFileSync("/etc/hosts", "utf8");
    writeFileSync("/etc/hosts", `${hosts}192.0.2.55 ${hostOnly}\n`);
    try {
      assert.equal(await sh(`getent ahostsv4 ${hostOnly} | awk 'NR==1{print $1}'`), "192.0.2.55", "a name the host's /etc/hosts got while the guest runs");
    } finally {
      writeFileSync("/etc/hosts", readFileSync("/etc/hosts", "utf8").split("\n").filter((l) => !l.includes(hostOnly)).join("\n"));
    }
  },
};
