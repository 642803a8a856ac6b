/**
 * containerd.system (Lima's): nerdctl-full cannot be downloaded here (no route to GitHub), so the
 * archive is one of the same layout made from Debian's containerd and runc packages (bin/containerd,
 * bin/containerd-shim-runc-v2, bin/ctr, bin/runc, lib/systemd/system/containerd.service), served by a
 * local HTTP server with its sha256 in containerd.archives. The agent fetches it through the download
 * cache onto the cidata disk, and the boot installs it into /usr/local and starts containerd:
 * `sudo ctr version` reaches the daemon. Only system mode is checked for real: rootless containerd
 * needs containerd-rootless-setuptool.sh and rootlesskit from nerdctl-full and uidmap in the guest.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import type { FieldFragment } from "./fragment.js";

const UNIT = `[Unit]
Description=containerd container runtime (tslima e2e archive)
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
`;

let server: Server | undefined;
let url = "";
let digest = "";

/** The host's .deb of PACKAGE: from tslima's build cache (the image builder keeps them), else `apt-get download`. */
function deb(pkg: string, work: string): string {
  const arch = execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "tslima", "debs");
  const pick = (dir: string) => (existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(`_${arch}.deb`)) : undefined);
  const cached = pick(cache);
  if (cached !== undefined) return join(cache, cached);
  execFileSync("apt-get", ["download", pkg], { cwd: work, stdio: "ignore" });
  const got = pick(work);
  assert.ok(got !== undefined, `apt-get download ${pkg} gave no ${pkg}_*_${arch}.deb`);
  return join(work, got);
}

/** A nerdctl-full-shaped tar.gz of Debian's containerd and runc. */
function buildArchive(root: string): Buffer {
  const work = join(root, "containerd-archive");
  const x = join(work, "x");
  const tree = join(work, "tree");
  mkdirSync(x, { recursive: true });
  for (const pkg of ["containerd", "runc"]) execFileSync("dpkg-deb", ["-x", deb(pkg, work), x]);
  mkdirSync(join(tree, "bin"), { recursive: true });
  mkdirSync(join(tree, "lib", "systemd", "system"), { recursive: true });
  for (const b of ["usr/bin/containerd", "usr/bin/containerd-shim-runc-v2", "usr/bin/ctr", "usr/sbin/runc"]) {
    execFileSync("cp", [join(x, b), join(tree, "bin")]);
  }
  writeFileSync(join(tree, "lib", "systemd", "system", "containerd.service"), UNIT);
  const file = join(work, "nerdctl-full-test.tar.gz");
  execFileSync("tar", ["-C", tree, "--owner=0", "--group=0", "-czf", file, "bin", "lib"]);
  return readFileSync(file);
}

export const fragment: FieldFragment = {
  title: "containerd.system: an archive of nerdctl-full's layout, digest-checked, installed at boot; containerd runs",
  async prepare(root) {
    const body = buildArchive(root);
    digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    server = createServer((req, res) => {
      if (req.url !== "/nerdctl-full-test.tar.gz") return void res.writeHead(404).end();
      res.writeHead(200, { "content-length": String(body.length) }).end(body);
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    server.unref();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/nerdctl-full-test.tar.gz`;
  },
  yaml: () => `
containerd:
  system: true
  user: false
  archives:
  - location: "${url}"
    arch: "x86_64"
    digest: "${digest}"
`,
  async check(ctx) {
    const out = await ctx.sh("sudo ctr version; echo ===; systemctl is-enabled containerd; cat /var/lib/tslima/containerd.digest; ls /usr/local/bin");
    const [version, rest] = out.split("\n===\n");
    assert.match(version ?? "", /Server:\s*\n\s*Version:\s+\S+/, `ctr reaches a running containerd:\n${out}`);
    const [enabled, marker, ...bins] = (rest ?? "").split("\n");
    assert.equal(enabled, "enabled");
    assert.equal(marker, digest, "the installed archive's digest is recorded (a later boot does not extract it again)");
    for (const b of ["containerd", "containerd-shim-runc-v2", "ctr", "runc"]) assert.ok(bins.includes(b), `${b} in /usr/local/bin: ${bins.join(" ")}`);
    assert.match(readFileSync(join(ctx.dir, "cidata.iso")).toString("latin1"), /\0n\0e\0r\0d\0c\0t\0l\0-\0f\0u\0l\0l\0\.\0t\0g\0z/, "nerdctl-full.tgz on the cidata (its Joliet name)");
  },
  async afterStop() {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  },
};
