import type { Config, HostFacts } from "../../../src/config/types.js";
import { instancePaths, type InstancePaths } from "../../../src/store/paths.js";
import type { QemuPlan } from "../../../src/qemu/index.js";
import { testConfig } from "../support/config.js";

/** A filled-in Config as the loader would produce it (only what the QEMU planner reads matters). */
export function sampleConfig(over: Partial<Config> = {}): Config {
  return testConfig({
    images: [],
    disk: "100GiB",
    user: { name: "alice", comment: "", uid: 1000, home: "/home/alice.linux", shell: "/bin/bash", passwordlessSudo: true },
    timezone: "UTC",
    ...over,
  });
}

export const linuxHost: HostFacts = {
  os: "Linux",
  arch: "x86_64",
  cpus: 2,
  memoryBytes: 24 * 1024 ** 3,
  home: "/home/alice",
  user: "alice",
  uid: 1000,
  gid: 1000,
  tmpDir: "/tmp",
};

export const macHost: HostFacts = {
  os: "Darwin",
  arch: "aarch64",
  cpus: 8,
  memoryBytes: 16 * 1024 ** 3,
  home: "/Users/alice",
  user: "alice",
  uid: 501,
  gid: 20,
  tmpDir: "/var/folders/xy/T",
};

export const linuxPaths: InstancePaths = instancePaths("/home/alice/.tslima", "default");
export const macPaths: InstancePaths = instancePaths("/Users/alice/.tslima", "default");

export function samplePlan(over: Partial<QemuPlan> = {}): QemuPlan {
  return {
    host: linuxHost,
    qemu: {
      binary: "/usr/bin/qemu-system-x86_64",
      version: "7.2.22",
      accel: "kvm",
      firmware: { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd" },
    },
    sshPort: 60022,
    image: { disk: "/home/alice/.tslima/default/basedisk", diskFormat: "qcow2", location: "https://example.org/debian-12.qcow2" },
    mounts: { mounts: [], qemuArgs: [] },
    vmgenid: "0f6f5e3c-2c9b-4d2e-9a51-7c1d3b2a4e10",
    ...over,
  };
}
