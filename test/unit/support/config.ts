import type { Config } from "../../../src/config/types.js";

/** A filled-in Config as the loader would produce it, for planner tests. */
export function testConfig(over: Partial<Config> = {}): Config {
  return {
    vmType: "qemu",
    os: "Linux",
    arch: "x86_64",
    images: [{ location: "build:debian-12", arch: "x86_64" }],
    cpus: 1,
    memory: "1GiB",
    disk: "10GiB",
    mounts: [],
    mountType: "9p",
    mountTypesUnsupported: [],
    mountInotify: false,
    ssh: { localPort: 0, loadDotSSHPubKeys: false, forwardAgent: false, forwardX11: false, forwardX11Trusted: false },
    firmware: { legacyBIOS: false },
    user: { name: "alice", comment: "Alice", uid: 1001, home: "/home/alice.linux", shell: "/bin/bash", passwordlessSudo: true },
    provision: [],
    probes: [],
    portForwards: [],
    networks: [],
    env: {},
    param: {},
    message: "",
    containerd: { system: false, user: false, archives: [] },
    hostResolver: { enabled: true, ipv6: false, hosts: {} },
    propagateProxyEnv: true,
    upgradePackages: false,
    timezone: "",
    plain: false,
    extra: {},
    ...over,
  };
}
