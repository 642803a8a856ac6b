import { test } from "node:test";
import assert from "node:assert/strict";
import { limaInstanceJson, limaNetwork } from "../../../src/instance/lima-view.js";
import type { InstanceInfo } from "../../../src/instance/inventory.js";
import { macAddress } from "../../../src/qemu/options.js";
import { testConfig } from "../support/config.js";

test("list --json shows networks as Lima does: MAC address and interface filled, Lima's key order", () => {
  const networks = [
    { interface: "lima0", metric: 100, lima: "user-v2" },
    { interface: "lab", metric: 50, lima: "lab", macAddress: "52:55:55:aa:bb:cc" },
  ];
  const info: InstanceInfo = { name: "vm1", status: "Stopped", dir: "/h/vm1", vmType: "qemu", arch: "x86_64", cpus: 1, memory: 1, disk: 1, sshLocalPort: 1, sshConfigFile: "/h/vm1/ssh.config", errors: [], hostname: "lima-vm1", protected: false, config: testConfig({ networks }) };
  const json = limaInstanceJson(info, { hostOS: "linux", hostArch: "x86_64", home: "/h", identityFile: "/h/_config/user" });
  const mac0 = macAddress("vm1#0");
  assert.match(mac0, /^52:55:55(:[0-9a-f]{2}){3}$/);
  assert.notEqual(mac0, macAddress("vm2#0"));
  assert.notEqual(mac0, macAddress("vm1#1"));
  const want = [
    { lima: "user-v2", macAddress: mac0, interface: "lima0", metric: 100 },
    { lima: "lab", macAddress: "52:55:55:aa:bb:cc", interface: "lab", metric: 50 },
  ];
  assert.equal(JSON.stringify(json.network), JSON.stringify(want));
  assert.equal(JSON.stringify((json.config as { networks: unknown }).networks), JSON.stringify(want), "config.networks is the filled config, as Lima's");
  assert.deepEqual(Object.keys(limaNetwork("vm1", { socket: "/s", vzNAT: false, interface: "x" }, 3)), ["socket", "vzNAT", "macAddress", "interface"]);
});
