import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { HostResolver } from "../../../src/hostagent/host-resolver.js";
import { hostsEntry, hostsTable, resolvConfServers } from "../../../src/hostagent/host-resolver-plan.js";
import { ipv6Bytes } from "../../../src/network/dns-message.js";

function query(name: string, qtype: number, id = 0x4242): Buffer {
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  return Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, qtype, 0, 1])]);
}

/** rcode and the answers' addresses (A: dotted, AAAA: hex groups). */
function decode(r: Buffer): { rcode: number; addrs: string[] } {
  const n = r.readUInt16BE(6);
  let i = 12;
  while (r[i] !== 0) i += 1 + r[i]!;
  i += 5;
  const addrs: string[] = [];
  for (let k = 0; k < n; k++) {
    const len = r.readUInt16BE(i + 10);
    const data = r.subarray(i + 12, i + 12 + len);
    addrs.push(len === 4 ? [...data].join(".") : data.toString("hex"));
    i += 12 + len;
  }
  return { rcode: r.readUInt16BE(2) & 15, addrs };
}

test("hostResolver.hosts: names to addresses, a name to another entry or to a host lookup, host.lima.internal", () => {
  const t = hostsTable({ "DB.example": "10.0.0.5", "alias.example": "db.example.", "out.example": "deb.debian.org" }, "192.168.5.2");
  assert.deepEqual(hostsEntry(t, "db.example"), { ip: "10.0.0.5" });
  assert.deepEqual(hostsEntry(t, "alias.example"), { ip: "10.0.0.5" });
  assert.deepEqual(hostsEntry(t, "out.example"), { name: "deb.debian.org" });
  assert.deepEqual(hostsEntry(t, "host.lima.internal"), { ip: "192.168.5.2" });
  assert.equal(hostsEntry(t, "other.example"), undefined);
  const loop = hostsTable({ a: "b", b: "a" }, "192.168.5.2");
  assert.ok(hostsEntry(loop, "a") !== undefined, "a loop ends after 8 hops");
  assert.deepEqual(resolvConfServers("# x\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nnameserver bogus\nsearch x\n"), ["10.255.255.53", "fe80::1%eth0"]);
  assert.equal(ipv6Bytes("2001:db8::1").toString("hex"), "20010db8000000000000000000000001");
  assert.equal(ipv6Bytes("::ffff:192.0.2.1").toString("hex"), "00000000000000000000ffffc0000201");
});

test("the server answers A from the host's lookup or the entries, AAAA only with ipv6, over UDP and TCP", async () => {
  const lookups: string[] = [];
  const lookupAll = (name: string) => {
    lookups.push(name);
    return Promise.resolve(name === "www.example" ? ["203.0.113.7", "2001:db8::7"] : []);
  };
  const r = await HostResolver.listen(0, { hosts: hostsTable({ "db.example": "10.0.0.5" }, "192.168.5.2"), ipv6: false, log: () => undefined, lookupAll });
  try {
    const udp = async (q: Buffer) => {
      const s = createSocket("udp4");
      try {
        return await new Promise<Buffer>((resolve) => {
          s.once("message", resolve);
          s.send(q, r.port, "127.0.0.1");
        });
      } finally {
        s.close();
      }
    };
    assert.deepEqual(decode(await udp(query("www.example", 1))), { rcode: 0, addrs: ["203.0.113.7"] });
    assert.deepEqual(decode(await udp(query("db.example", 1))), { rcode: 0, addrs: ["10.0.0.5"] });
    assert.deepEqual(decode(await udp(query("www.example", 28))), { rcode: 0, addrs: [] }, "no AAAA without hostResolver.ipv6");
    assert.deepEqual(lookups, ["www.example"], "entries are not looked up on the host");
    const tcp = await new Promise<Buffer>((resolve) => {
      const c = connect(r.port, "127.0.0.1");
      const q = query("www.example", 1);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      c.write(Buffer.concat([len, q]));
      c.once("data", (d: Buffer) => (c.destroy(), resolve(d.subarray(2))));
    });
    assert.deepEqual(decode(tcp), { rcode: 0, addrs: ["203.0.113.7"] });
  } finally {
    await r.close();
  }
  const v6 = await HostResolver.listen(0, { hosts: hostsTable({}, "192.168.5.2"), ipv6: true, log: () => undefined, lookupAll });
  try {
    const reply = await v6.handle(query("www.example", 28));
    assert.ok(reply);
    assert.deepEqual(decode(reply), { rcode: 0, addrs: ["20010db8000000000000000000000007"] });
    assert.equal(await v6.handle(Buffer.from([1, 2, 3])), undefined, "garbage gets no answer");
  } finally {
    await v6.close();
  }
});

test("a port in use: another one; the one asked for when free", async () => {
  const a = await HostResolver.listen(0, { hosts: new Map(), ipv6: false, log: () => undefined });
  const b = await HostResolver.listen(a.port, { hosts: new Map(), ipv6: false, log: () => undefined });
  assert.notEqual(b.port, a.port);
  const port = a.port;
  await a.close();
  const c = await HostResolver.listen(port, { hosts: new Map(), ipv6: false, log: () => undefined });
  assert.equal(c.port, port);
  await b.close();
  await c.close();
});
