/**
 * End to end, the path users run Lima for: `template:docker` boots the locally built Debian 12 guest,
 * installs Docker Engine from Debian's packages, forwards /var/run/docker.sock to
 * <instance>/sock/docker.sock, and the host's docker CLI (client only) imports a tiny image made from
 * Debian's busybox-static and runs a container that bind-mounts a host folder (through the VM's 9p
 * mount of the home directory, securityModel mapped-xattr), writes a file and chowns it: on the host
 * the file stays owned by the user running QEMU, with the container's owner in user.virtfs.* xattrs.
 * The tslima process runs with HOME set to a throw-away folder, so `~` (mounted writable) is not the
 * real home (the library's start passes that environment to the host agent). One VM, booted through
 * the library (FileGuest) and disposed at the end, also on failure.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Cli, FileGuest } from "./harness.js";
import type { AgentEvent } from "../../src/index.js";
import { buildCacheDir } from "../../src/store/paths.js";

const NAME = "docker";
const cli = new Cli("docker");
const instDir = join(cli.home, NAME);
const hostHome = join(cli.root, "hosthome");
const project = join(hostHome, "project");
const dockerConfig = join(cli.root, "docker-config");
const IMAGE = "tslima-e2e-busybox:1";
// HOME is the throw-away folder; the guest image build cache stays where it is.
const hostEnv = { HOME: hostHome, XDG_CACHE_HOME: dirname(buildCacheDir()) };
const env = cli.env(hostEnv);
let message = "";
const guest = new FileGuest(cli);
const bootEvents: AgentEvent[] = [];
let bootSeconds = 0;

before(async () => {
  mkdirSync(project, { recursive: true });
  mkdirSync(dockerConfig, { recursive: true });
  writeFileSync(join(project, "input.txt"), "written on the host\n");
  const t0 = Date.now();
  // as `tslima start --cpus 1 --memory 2GiB --timeout 25m template:docker` with HOME=hostHome
  await guest.boot({ name: NAME, locator: "template:docker", cpus: 1, memory: "2GiB", timeoutMs: 25 * 60_000, env: hostEnv, onEvent: (e) => bootEvents.push(e) });
  bootSeconds = (Date.now() - t0) / 1000;
}, { timeout: 30 * 60_000 });
after(() => guest[Symbol.asyncDispose]());

/** Runs the host's docker CLI against the VM (through the context the start message names). */
function docker(args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("docker", ["--context", `tslima-${NAME}`, ...args], {
    env: { ...process.env, DOCKER_CONFIG: dockerConfig },
    encoding: "utf8",
    timeout: 10 * 60_000,
    ...(input ? { input } : {}),
  });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : "") };
}

function dockerOk(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...(cwd ? { cwd } : {}) });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** The boot's events as start's progress lines: the message, "READY" for the ready event. */
const said = (e: AgentEvent): string => (e.status.ready ? "READY" : (e.message ?? ""));

/** Seconds from the boot event whose line matches `from` to the one matching `to`. */
function phaseSeconds(from: RegExp, to: RegExp): number | undefined {
  const at = (re: RegExp) => {
    const e = bootEvents.find((x) => re.test(said(x)));
    return e ? Date.parse(e.time) / 1000 : undefined;
  };
  const [a, b] = [at(from), at(to)];
  return a !== undefined && b !== undefined ? b - a : undefined;
}

test("template:docker boots, provisions Docker Engine and shows the docker context message", async () => {
  const lines = bootEvents.map(said).join("\n");
  console.log(lines);
  const provisioning = phaseSeconds(/Waiting for cloud-init/, /READY/);
  console.log(`docker provisioning: ${provisioning?.toFixed(0) ?? "?"}s from "Waiting for cloud-init" to READY (apt-get install docker.io, dockerd up); start took ${bootSeconds.toFixed(0)}s in all`);
  assert.match(lines, /probe/, "the readiness probe ran");
  // `tslima start` on the running instance prints the config's message again, as after the boot
  const again = await cli.ok(["start", NAME], { env });
  assert.match(again.stderr, /already running/);
  message = again.stdout;
  assert.ok(guest.vm.message.trim() !== "" && message.includes(guest.vm.message.trim()), "the library's message is the one the CLI prints");
  const sock = join(instDir, "sock", "docker.sock");
  assert.ok(message.includes(`docker context create tslima-${NAME} --docker "host=unix://${sock}"`), `start prints the docker context command:\n${message}`);
  assert.ok(statSync(sock).isSocket(), "the guest's docker.sock is forwarded to <instance>/sock/docker.sock");
  const mounts = await cli.ok(["shell", NAME, "sh", "-c", `grep ' ${hostHome} ' /proc/mounts`], { env });
  console.log(`guest mount: ${mounts.stdout.trim()}`);
  assert.match(mounts.stdout, / 9p rw[,\s]/, "the (throw-away) home is mounted read-write over 9p");
});

test("the host's docker CLI reaches dockerd through the forwarded socket (context from the message)", () => {
  const create = message.split("\n").find((l) => l.startsWith("docker context create"));
  assert.ok(create);
  const args = (create.match(/"[^"]*"|\S+/g) ?? []).slice(1).map((a) => a.replace(/^"|"$/g, ""));
  dockerOk(args);
  const v = dockerOk(["version", "--format", "{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}"]);
  console.log(`dockerd in the VM: ${v.trim()}`);
  assert.match(v, /^\d+\.\d+.* linux\/amd64/);
});

test("a busybox image from Debian's busybox-static imports and runs", () => {
  const work = join(cli.root, "busybox");
  mkdirSync(join(work, "rootfs", "bin"), { recursive: true });
  sh("apt-get", ["download", "-q", "busybox-static"], work);
  const deb = readdirSync(work).find((n) => n.startsWith("busybox-static") && n.endsWith(".deb"));
  assert.ok(deb, "apt-get download busybox-static produced a .deb");
  sh("dpkg-deb", ["-x", join(work, deb), join(work, "x")]);
  sh("cp", [join(work, "x", "bin", "busybox"), join(work, "rootfs", "bin", "busybox")]);
  sh("ln", ["-s", "busybox", join(work, "rootfs", "bin", "sh")]);
  sh("tar", ["-C", join(work, "rootfs"), "-cf", join(work, "rootfs.tar"), "."]);
  dockerOk(["import", join(work, "rootfs.tar"), IMAGE]);
  const out = dockerOk(["run", "--rm", "--network", "none", IMAGE, "/bin/busybox", "echo", "busybox runs"]);
  assert.equal(out, "busybox runs\n");
});

test("a container bind-mounts a host folder, writes a file and chowns it to 1234:1234", () => {
  const script = [
    "cat /src/input.txt",
    "echo written in a container >/src/out.txt",
    "busybox chown 1234:1234 /src/out.txt",
    "busybox stat -c %u:%g /src/out.txt",
  ].join(" && ");
  const out = dockerOk(["run", "--rm", "--network", "none", "-v", `${project}:/src`, IMAGE, "sh", "-c", script]);
  assert.equal(out, "written on the host\n1234:1234\n", "the container reads the host file and sees its chown");

  const file = join(project, "out.txt");
  assert.equal(readFileSync(file, "utf8"), "written in a container\n", "the file arrives on the host");
  const st = statSync(file);
  assert.equal(st.uid, process.getuid?.(), "on the host the file stays owned by the user running QEMU (mapped-xattr)");
  /** QEMU stores the id as 4 bytes in host order (little-endian here): getfattr prints NAME=0xd2040000 for 1234. */
  const xattr = (name: string) => {
    const out = sh("getfattr", ["--absolute-names", "-e", "hex", "-n", name, file]);
    const hex = new RegExp(`^${name.replace(/\./g, "\\.")}=0x([0-9a-f]{8})$`, "m").exec(out)?.[1];
    assert.ok(hex, `getfattr shows ${name} as 4 bytes:\n${out}`);
    return Buffer.from(hex, "hex").readUInt32LE(0);
  };
  assert.equal(xattr("user.virtfs.uid"), 1234, "the container's owner is in user.virtfs.uid");
  assert.equal(xattr("user.virtfs.gid"), 1234, "and its group in user.virtfs.gid");
});
