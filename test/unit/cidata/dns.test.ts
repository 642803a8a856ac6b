import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { cidataFiles } from "../../../src/cidata/index.js";
import { fixturesDir } from "../../helpers.js";
import { testConfig } from "../support/config.js";
import { sampleContext } from "./sample.js";

const GOLDEN = join(fixturesDir, "cidata", "network-config-dns.golden");
type Net = { ethernets: Record<string, { nameservers?: { addresses: string[] } }> };
const withDns = () => testConfig({ hostResolver: { enabled: false, ipv6: false, hosts: {} }, extra: { dns: ["1.1.1.1", "2606:4700:4700::1111"] } });

test("dns: the user-mode NIC's static nameservers in network-config (golden), user-v2 NICs untouched", () => {
  const ctx = { ...sampleContext(), macAddress: "52:55:55:AB:CD:EF", networks: [{ interface: "lima0", mac: "52:55:55:00:00:01", slot: 0, metric: 100 }] };
  const text = cidataFiles(withDns(), ctx)["network-config"] ?? "";
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
  const net = parse(text) as Net;
  assert.deepEqual(net.ethernets.eth0?.nameservers, { addresses: ["1.1.1.1", "2606:4700:4700::1111"] });
  assert.equal(net.ethernets.lima0?.nameservers, undefined);
});

test("dns: without a known MAC both en* and eth* get them; no dns, no nameservers", () => {
  const byName = parse(cidataFiles(withDns(), sampleContext())["network-config"] ?? "") as Net;
  assert.deepEqual(Object.values(byName.ethernets).map((e) => e.nameservers?.addresses), [["1.1.1.1", "2606:4700:4700::1111"], ["1.1.1.1", "2606:4700:4700::1111"]]);
  const none = parse(cidataFiles(testConfig(), { ...sampleContext(), macAddress: "52:55:55:AB:CD:EF" })["network-config"] ?? "") as Net;
  assert.equal(none.ethernets.eth0?.nameservers, undefined);
});
