import type { HostFacts } from "../../../src/config/types.js";
import type { CidataContext } from "../../../src/cidata/index.js";
import { mountPlan } from "../../../src/mounts/index.js";
import { testConfig, testMount, testPaths } from "../mounts/testconfig.js";

export const hostFacts: HostFacts = {
  os: "Linux", arch: "x86_64", cpus: 2, memoryBytes: 24 * 1024 ** 3, home: "/home/alice", user: "alice", uid: 1001, gid: 1001, tmpDir: "/tmp",
};

/** A representative instance: two 9p mounts (one with a space), every provision mode, env and param. */
export function sampleConfig() {
  return testConfig({
    mounts: [testMount("/home/alice"), testMount("/tmp/lima dir", { writable: true })],
    provision: [
      { mode: "system", script: "#!/bin/bash\nset -eux\necho system >/var/log/sys-prov\n" },
      { mode: "user", script: "#!/bin/sh\necho \"user $PARAM_GREETING $FOO\" >\"$HOME/user-prov\"\n" },
      { mode: "boot", script: "echo boot >/run/boot-prov" },
      { mode: "dependency", script: "#!/bin/sh\necho dependency\n", skipDefaultDependencyResolution: false },
      { mode: "data", path: "/etc/motd.d/tslima", content: "hello 'world'\n", owner: "root:root", permissions: "644", overwrite: false },
    ],
    env: { FOO: "bar baz", QUOTE: "it's" },
    param: { GREETING: "hi there" },
    timezone: "Europe/Berlin",
    hostResolver: { enabled: true, ipv6: false, hosts: { "db.internal": "192.168.5.50", "alias.internal": "host.lima.internal" } },
    extra: { caCerts: { removeDefaults: true, certs: ["-----BEGIN CERTIFICATE-----\nSampleInlineCa\n-----END CERTIFICATE-----"] } },
  });
}

export function sampleContext(): CidataContext {
  const config = sampleConfig();
  return {
    instanceName: "default",
    sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForTestsOnly tslima"],
    mounts: mountPlan(config, testPaths, { memoryBytes: 1024 ** 3 }),
    sshPort: 60022,
    hostFacts,
    caCertFiles: ["-----BEGIN CERTIFICATE-----\nSampleCaFromFile\n-----END CERTIFICATE-----\n\n"],
    hostKey: {
      privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nDummyHostKeyForTestsOnly\n-----END OPENSSH PRIVATE KEY-----\n",
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyHostKeyForTestsOnly tslima-host-default\n",
    },
  };
}
