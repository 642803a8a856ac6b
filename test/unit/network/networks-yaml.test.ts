import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse } from "yaml";
import { TslimaError } from "../../../src/index.js";
import { formatIPv4, maskOf, networkOf, overlaps, parseIPv4, prefixOf } from "../../../src/network/ipv4.js";
import { DEFAULT_NETWORKS_YAML, identifierProblem, parseNetworks } from "../../../src/network/networks-yaml.js";
import { userV2Network } from "../../../src/network/user-v2.js";
import { addNetworkText, networkToCreate, removeNetworksText } from "../../../src/network/networks-edit.js";

const FILE = "/h/_config/networks.yaml";

function code(e: unknown, c: string, re: RegExp): boolean {
  return e instanceof TslimaError && e.code === `ERR_TSLIMA_${c}` && re.test(e.message);
}

test("netmask and prefix length round trip; a subnet contains its gateway", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 0xffffffff }), (p, addr) => {
      const mask = maskOf(p);
      assert.equal(prefixOf(mask), p);
      assert.equal(parseIPv4(formatIPv4(mask)), mask);
      assert.equal(parseIPv4(formatIPv4(addr)), addr);
      assert.equal(networkOf(networkOf(addr, p), p), networkOf(addr, p));
      assert.ok(overlaps({ addr, prefixLength: p }, { addr: networkOf(addr, p), prefixLength: 32 }));
    }),
  );
  assert.equal(prefixOf(parseIPv4("255.255.0.255") as number), undefined);
  for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", ""]) assert.equal(parseIPv4(bad), undefined, bad);
});

test("identifiers follow Lima's rule", () => {
  for (const ok of ["user-v2", "a", "A1.b_c-d", "x".repeat(76)]) assert.equal(identifierProblem(ok), undefined, ok);
  for (const bad of ["", "-a", "a-", "a..b", "a b", "a/b", "x".repeat(77), "a\nb"]) assert.ok(identifierProblem(bad), bad);
});

test("the default file holds Lima's four networks", () => {
  const cfg = parseNetworks(DEFAULT_NETWORKS_YAML, FILE);
  assert.deepEqual(Object.keys(cfg.networks).sort(), ["bridged", "host", "shared", "user-v2"]);
  assert.deepEqual(cfg.networks["user-v2"], { name: "user-v2", mode: "user-v2", gateway: "192.168.104.1", netmask: "255.255.255.0" });
  assert.deepEqual(cfg.networks.shared, { name: "shared", mode: "shared", gateway: "192.168.105.1", dhcpEnd: "192.168.105.254", netmask: "255.255.255.0" });
  assert.deepEqual(cfg.networks.bridged, { name: "bridged", mode: "bridged", interface: "en0" });
});

test("user-v2 is filled in only when no user-v2 network has a gateway (Lima's fillDefaults)", () => {
  assert.deepEqual(Object.keys(parseNetworks("", FILE).networks), ["user-v2"]);
  assert.deepEqual(Object.keys(parseNetworks("networks:\n  foo: {mode: shared, gateway: 10.0.0.1}\n", FILE).networks), ["foo", "user-v2"]);
  assert.equal(parseNetworks("networks:\n  user-v2: {mode: user-v2}\n", FILE).networks["user-v2"]?.gateway, "192.168.104.1");
  assert.deepEqual(Object.keys(parseNetworks("networks:\n  mine: {mode: user-v2, gateway: 10.0.0.1}\n", FILE).networks), ["mine"]);
});

test("rule breaks are NETWORKS_CONFIG naming the file and the field", () => {
  const cases: [string, RegExp][] = [
    ["networks:\n  foo: {mode: user-v2, gateway: 10.0.0}\n", /networks\.foo\.gateway: "10\.0\.0" is not an IPv4 address/],
    ["networks:\n  foo: {mode: user-v2, gateway: 10.0.0.1, netmask: 255.0.255.0}\n", /networks\.foo\.netmask: 255\.0\.255\.0 is not a netmask/],
    ["networks:\n  foo: {mode: user-v2, gateway: 10.0.0.1, netmask: 255.255.255.254}\n", /networks\.foo\.netmask/],
    ["networks:\n  foo: {mode: user-v2, gateway: 10.0.0.1, netmask: 254.0.0.0}\n", /networks\.foo\.netmask/],
    ["networks:\n  foo: {mode: user-v2, gateway: 10.0.0.0}\n", /networks\.foo\.gateway: .*network's own address/],
    ["networks:\n  foo: {mode: user-v2, gateway: 10.0.0.255}\n", /networks\.foo\.gateway: .*broadcast address/],
    ["networks:\n  foo: {mode: user-v2, gateway: 127.0.0.5}\n", /networks\.foo\.gateway: .*loopback/],
    ["networks:\n  foo: {mode: vde, gateway: 10.0.0.1}\n", /networks\.foo\.mode: must be one of/],
    ["networks:\n  foo: {gateway: 10.0.0.1}\n", /networks\.foo\.mode/],
    ["networks:\n  foo: {mode: user-v2, gateway: 10.0.0.1, color: red}\n", /networks\.foo\.color: unknown field/],
    ["networks:\n  foo: {mode: shared, gateway: 10.0.0.1, dhcpEnd: 10.0.1.254}\n", /networks\.foo\.dhcpEnd: .*outside/],
    ["networks:\n  foo: {mode: bridged, interface: 'en0; rm -rf /'}\n", /networks\.foo\.interface/],
    ["networks:\n  'a b': {mode: user-v2, gateway: 10.0.0.1}\n", /networks\.a b: the network name/],
    ["networks:\n  foo: {mode: user-v2, gateway: 1}\n", /networks\.foo\.gateway: must be a string/],
    ["networks:\n  a: {mode: user-v2, gateway: 10.0.0.1, netmask: 255.255.0.0}\n  b: {mode: user-v2, gateway: 10.0.200.1}\n", /networks\.b\.gateway: the subnet of b \(10\.0\.200\.1\/24\) overlaps that of a \(10\.0\.0\.1\/16\)/],
    ["networks: [a]\n", /networks: must be a mapping/],
    ["vdeSwitch: x\n", /vdeSwitch: unknown field/],
    ["paths: {socketVMNet: 1}\n", /paths\.socketVMNet: must be a string/],
    ["group: 'a b'\n", /group: /],
    ["networks: {a: [\n", /\(file\): is not YAML/],
    ["- a\n", /must be a mapping/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseNetworks(text, FILE), (e: unknown) => code(e, "NETWORKS_CONFIG", re) && (e as Error).message.startsWith(`${FILE}: `) && (e as TslimaError).hint !== undefined, text);
  }
});

test("Lima's keys for socket_vmnet are accepted, as are shared networks on overlapping subnets", () => {
  const text = "paths:\n  socketVMNet: /x\n  varRun: /y\n  sudoers: /z\n  vdeSwitch: /a\n  vdeVMNet: /b\ngroup: staff\nnetworks:\n  s: {mode: shared, gateway: 192.168.104.1}\n  u: {mode: user-v2, gateway: 192.168.104.1, interface: ''}\n";
  assert.deepEqual(parseNetworks(text, FILE).networks.u, { name: "u", mode: "user-v2", gateway: "192.168.104.1" });
});

test("userV2Network gives the subnet; unknown and other modes are refused", () => {
  const cfg = parseNetworks(`${DEFAULT_NETWORKS_YAML}  lab:\n    mode: user-v2\n    gateway: 10.20.30.40\n    netmask: 255.255.240.0\n`, FILE);
  assert.deepEqual(userV2Network(cfg, "user-v2", "w"), { name: "user-v2", gateway: "192.168.104.1", netmask: "255.255.255.0", prefixLength: 24, subnet: "192.168.104.0" });
  assert.deepEqual(userV2Network(cfg, "lab", "w"), { name: "lab", gateway: "10.20.30.40", netmask: "255.255.240.0", prefixLength: 20, subnet: "10.20.16.0" });
  assert.throws(() => userV2Network(cfg, "nope", "networks[0].lima in /i/lima.yaml"), (e: unknown) => code(e, "NETWORK_UNKNOWN", /^networks\[0\]\.lima in \/i\/lima\.yaml: no network "nope" .*known: bridged, host, lab, shared, user-v2/) && /network create nope --gateway/.test((e as TslimaError).hint ?? ""));
  assert.throws(() => userV2Network(cfg, "shared", "w"), (e: unknown) => code(e, "NETWORK_UNSUPPORTED", /shared network, which needs socket_vmnet/));
  assert.throws(() => userV2Network(cfg, "toString", "w"), (e: unknown) => code(e, "NETWORK_UNKNOWN", /toString/));
});

test("network create follows Lima's rules and texts", () => {
  assert.deepEqual(networkToCreate("foo", { gateway: "192.168.42.1/24" }), { name: "foo", mode: "user-v2", gateway: "192.168.42.1", netmask: "255.255.255.0" });
  assert.deepEqual(networkToCreate("foo", { gateway: "10.1.2.3" }), { name: "foo", mode: "user-v2", gateway: "10.1.2.3", netmask: "255.255.255.0" });
  assert.deepEqual(networkToCreate("foo", { mode: "shared", gateway: "10.1.2.3/16" }), { name: "foo", mode: "shared", gateway: "10.1.2.3", netmask: "255.255.0.0" });
  assert.deepEqual(networkToCreate("b", { mode: "bridged", interface: "eth0" }), { name: "b", mode: "bridged", interface: "eth0" });
  const cases: [Parameters<typeof networkToCreate>[1], RegExp][] = [
    [{}, /^network mode `user-v2` requires specifying gateway$/],
    [{ gateway: "10.0.0.1", interface: "eth0" }, /^network mode `user-v2` does not support specifying interface$/],
    [{ mode: "bridged", gateway: "10.0.0.1" }, /^network mode `bridged` does not support specifying gateway$/],
    [{ mode: "bridged" }, /^network mode `bridged` requires specifying interface$/],
    [{ gateway: "10.0.0.1/33" }, /^failed to parse CIDR `10\.0\.0\.1\/33`/],
    [{ gateway: "10.0.0/24" }, /^failed to parse CIDR/],
    [{ gateway: "10.0.0.1/24/1" }, /^failed to parse CIDR/],
    [{ gateway: "127.0.0.1" }, /^invalid IP address: 127\.0\.0\.1$/],
    [{ gateway: "0.0.0.0/8" }, /^invalid IP address: 0\.0\.0\.0$/],
    [{ mode: "vde", gateway: "10.0.0.1" }, /^network mode "vde" is not one of/],
  ];
  for (const [o, re] of cases) assert.throws(() => networkToCreate("foo", o), (e: unknown) => code(e, "NETWORK_INVALID", re), JSON.stringify(o));
});

test("create and delete edit the text, keeping comments and other keys", () => {
  const text = "# mine\ngroup: staff # the group\nnetworks:\n  # the lab\n  lab:\n    mode: user-v2\n    gateway: 10.0.0.1\n";
  const added = addNetworkText(text, { name: "foo", mode: "user-v2", gateway: "192.168.42.1", netmask: "255.255.255.0" });
  assert.match(added, /^# mine\ngroup: staff # the group\n/);
  assert.match(added, /# the lab\n {2}lab:/);
  assert.deepEqual(parse(added), { group: "staff", networks: { lab: { mode: "user-v2", gateway: "10.0.0.1" }, foo: { mode: "user-v2", gateway: "192.168.42.1", netmask: "255.255.255.0" } } });
  assert.deepEqual(parse(addNetworkText("group: staff\n", { name: "b", mode: "bridged", interface: "eth0" })), { group: "staff", networks: { b: { mode: "bridged", interface: "eth0" } } });
  const removed = removeNetworksText(added, ["lab", "missing"]);
  assert.match(removed, /^# mine\ngroup: staff # the group\n/);
  assert.deepEqual(parse(removed), { group: "staff", networks: { foo: { mode: "user-v2", gateway: "192.168.42.1", netmask: "255.255.255.0" } } });
});
