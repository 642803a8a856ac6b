import type { Mount } from "../../../src/config/types.js";
import { testConfig } from "../support/config.js";

export { testConfig };
import { instancePaths, type InstancePaths } from "../../../src/store/paths.js";

/** A mount with Lima's builtin defaults filled (writable picks the 9p cache default). */
export function testMount(location: string, over: Partial<Mount> & { cache?: Mount["9p"]["cache"] } = {}): Mount {
  const writable = over.writable ?? false;
  const { cache, ...rest } = over;
  return {
    location,
    mountPoint: location,
    writable,
    sshfs: { cache: true, followSymlinks: false, sftpDriver: "openssh-sftp-server" },
    "9p": {
      securityModel: "none",
      protocolVersion: "9p2000.L",
      msize: "128KiB",
      cache: cache ?? (writable ? "mmap" : "fscache"),
    },
    virtiofs: {},
    ...rest,
  };
}

export const testPaths: InstancePaths = instancePaths("/home/alice/.tslima", "default");
