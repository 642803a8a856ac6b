import { test } from "node:test";
import assert from "node:assert/strict";
import { listenersFromFields, parseProcNetAddress } from "../../../src/portfwd/procnet.js";
import { canonicalIP, formatIPv6, joinHostPort } from "../../../src/portfwd/ip.js";

test("parseProcNetAddress: IPv4 words are little-endian, the port is plain hex", () => {
  assert.deepEqual(parseProcNetAddress("0100007F:1F90"), { ip: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseProcNetAddress("00000000:0016"), { ip: "0.0.0.0", port: 22 });
  assert.deepEqual(parseProcNetAddress("3500007F:0035"), { ip: "127.0.0.53", port: 53 });
  assert.deepEqual(parseProcNetAddress("0F02000A:01BB"), { ip: "10.0.2.15", port: 443 });
});

test("parseProcNetAddress: IPv6 as four little-endian words", () => {
  assert.deepEqual(parseProcNetAddress("00000000000000000000000001000000:1F90"), { ip: "::1", port: 8080 });
  assert.deepEqual(parseProcNetAddress("00000000000000000000000000000000:2FBB"), { ip: "::", port: 12219 });
  assert.deepEqual(parseProcNetAddress("000080FE000000000000000001000000:0050"), { ip: "fe80::1", port: 80 });
  assert.deepEqual(parseProcNetAddress("B80D0120000000000000000001000000:0050"), { ip: "2001:db8::1", port: 80 });
  assert.deepEqual(parseProcNetAddress("B80D012000000000341200007856AB90:0050"), { ip: "2001:db8::1234:90ab:5678", port: 80 });
});

test("parseProcNetAddress: IPv4-mapped IPv6 comes back as IPv4; malformed fields are undefined", () => {
  assert.deepEqual(parseProcNetAddress("0000000000000000FFFF00000100007F:0BB8"), { ip: "127.0.0.1", port: 3000 });
  for (const bad of ["", "0100007F", "0100007F:1F9", "0100007G:1F90", "01000:1F90", "sl"]) assert.equal(parseProcNetAddress(bad), undefined, bad);
});

test("listenersFromFields: deduplicated, port 0 dropped, IPv4 first then by port", () => {
  const l = listenersFromFields([
    "00000000000000000000000001000000:1F90",
    "0100007F:1F90",
    "0100007F:1F90",
    "00000000:0016",
    "0100007F:0000",
    "junk",
  ]);
  assert.deepEqual(l, [
    { proto: "tcp", ip: "0.0.0.0", port: 22 },
    { proto: "tcp", ip: "127.0.0.1", port: 8080 },
    { proto: "tcp", ip: "::1", port: 8080 },
  ]);
});

test("formatIPv6 follows RFC 5952", () => {
  const bytes = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
  assert.equal(formatIPv6(bytes([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])), "2001:db8::1:0:0:1");
  assert.equal(formatIPv6(bytes([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])), "2001:db8:0:1:1:1:1:1");
  assert.equal(formatIPv6(bytes([0, 0, 0, 0, 0, 0, 0, 0])), "::");
  assert.equal(formatIPv6(bytes([1, 0, 0, 0, 0, 0, 0, 0])), "1::");
});

test("canonicalIP and joinHostPort", () => {
  assert.equal(canonicalIP("0:0::1"), "::1");
  assert.equal(canonicalIP("::FFFF:127.0.0.1"), "127.0.0.1");
  assert.equal(canonicalIP("0.0.0.0"), "0.0.0.0");
  assert.equal(canonicalIP("0000:0000:0000:0000:0000:0000:0000:0000"), "::");
  for (const bad of ["localhost", "1.2.3", "256.1.1.1", "1::2::3", "1:2:3:4:5:6:7:8:9", ""]) assert.equal(canonicalIP(bad), undefined, bad);
  assert.equal(joinHostPort("::1", 80), "[::1]:80");
  assert.equal(joinHostPort("127.0.0.1", 80), "127.0.0.1:80");
});
