import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNetwork, deleteNetworks, listNetworks, TslimaError } from "../../../src/index.js";
import { cidrOf, networkJson } from "../../../src/instance/network.js";
import { loadNetworks } from "../../../src/network/config.js";

function home(): { home: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "tslima-net-"));
  return { home: join(dir, "h"), [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

test("the first use writes Lima's default networks.yaml, private", async () => {
  using h = home();
  const { networks, unmatched } = await listNetworks(["user-v2", "nope"], { home: h.home });
  assert.deepEqual(unmatched, ["nope"]);
  assert.deepEqual(networks.map(networkJson), [{ name: "user-v2", mode: "user-v2", gateway: "192.168.104.1", netmask: "255.255.255.0" }]);
  const file = join(h.home, "_config", "networks.yaml");
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal((await loadNetworks(h.home)).file, file);
  assert.deepEqual((await listNetworks([], { home: h.home })).networks.map((d) => [d.name, cidrOf(d) ?? "-"]), [["bridged", "-"], ["host", "192.168.106.1/24"], ["shared", "192.168.105.1/24"], ["user-v2", "192.168.104.1/24"]]);
});

test("create adds to the user's file, keeping it; a duplicate or overlapping one is refused", async () => {
  using h = home();
  mkdirSync(join(h.home, "_config"), { recursive: true, mode: 0o700 });
  const file = join(h.home, "_config", "networks.yaml");
  writeFileSync(file, "# my networks\nnetworks:\n  lab: {mode: user-v2, gateway: 10.9.0.1} # the lab\n", { mode: 0o644 });
  assert.deepEqual(await createNetwork("foo", { gateway: "192.168.42.1/24", home: h.home }), { name: "foo", mode: "user-v2", gateway: "192.168.42.1", netmask: "255.255.255.0" });
  const text = readFileSync(file, "utf8");
  assert.match(text, /^# my networks\n/);
  assert.match(text, /# the lab/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual((await listNetworks([], { home: h.home })).networks.map((d) => d.name), ["foo", "lab"]);
  await assert.rejects(createNetwork("foo", { gateway: "10.1.0.1", home: h.home }), (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_NETWORK_EXISTS" && e.message === "network `foo` already exists");
  await assert.rejects(createNetwork("bar", { gateway: "10.9.0.77/16", home: h.home }), (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_NETWORKS_CONFIG" && /networks\.bar\.gateway: .*overlaps that of lab/.test(e.message));
  assert.doesNotMatch(readFileSync(file, "utf8"), /bar/);
});

test("delete removes networks but refuses one an instance lists, naming the instances", async () => {
  using h = home();
  await createNetwork("foo", { gateway: "192.168.42.1", home: h.home });
  for (const [vm, yaml] of [["vm1", "networks:\n- lima: foo\n"], ["vm2", "networks: [{lima: user-v2}, {lima: foo}]\n"], ["vm3", "cpus: 1\n"]] as const) {
    mkdirSync(join(h.home, vm), { mode: 0o700 });
    writeFileSync(join(h.home, vm, "lima.yaml"), yaml);
  }
  await assert.rejects(deleteNetworks(["shared", "foo"], { home: h.home }), (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_NETWORK_IN_USE" && /network `foo` is used by instance vm1, vm2/.test(e.message));
  assert.ok((await listNetworks(["shared"], { home: h.home })).networks.length === 1, "nothing is deleted when one is refused");
  assert.deepEqual(await deleteNetworks(["shared", "nope"], { home: h.home }), { deleted: ["shared"], missing: ["nope"] });
  rmSync(join(h.home, "vm1"), { recursive: true });
  rmSync(join(h.home, "vm2"), { recursive: true });
  assert.deepEqual(await deleteNetworks(["foo", "user-v2"], { home: h.home }), { deleted: ["foo", "user-v2"], missing: [] });
  // Lima's user-v2 comes back (in memory) when no user-v2 network is left
  assert.deepEqual((await listNetworks([], { home: h.home })).networks.map((d) => d.name), ["bridged", "host", "user-v2"]);
});

test("concurrent creates all land (the file's lock)", async () => {
  using h = home();
  await listNetworks([], { home: h.home });
  await Promise.all([1, 2, 3, 4].map((i) => createNetwork(`n${i}`, { gateway: `10.${i}.0.1/16`, home: h.home })));
  assert.deepEqual((await listNetworks(["n1", "n2", "n3", "n4"], { home: h.home })).networks.map((d) => d.name), ["n1", "n2", "n3", "n4"]);
});
