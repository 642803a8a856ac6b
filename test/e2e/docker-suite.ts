/**
 * End to end, the path users run Lima for, shared by docker.test.ts (template:docker: rootless dockerd,
 * run by the VM user) and docker-rootful.test.ts (template:docker-rootful). Each boots one VM through
 * the library (FileGuest), deleted at the end, also on failure. The template boots the locally built
 * Debian 12 guest with Docker preinstalled (build:debian-12-docker: scripts/setup --tests built it, and
 * then the start uses it without building; else the start builds it first), forwards the guest's docker.sock (rootless:
 * /run/user/UID/docker.sock, rootful: /var/run/docker.sock) to <instance>/sock/docker.sock, and makes
 * the host docker CLI context tslima-NAME current (issue 14). Then plain `docker` (no --context)
 * imports a tiny image made from Debian's busybox-static and runs a container that bind-mounts a host
 * folder (through the VM's 9p mount of the home directory, securityModel mapped-xattr), writes a file
 * and chowns it: on the host the file stays owned by the user running QEMU, with the owner the VM gave
 * it in user.virtfs.* xattrs (rootful: the container's 1234; rootless: 1234 mapped into the VM user's
 * /etc/subuid range). A container reaches an HTTP server on the host's 127.0.0.1 as
 * host.docker.internal; a container published with `-p 5353:5353/udp` answers a datagram sent to the
 * host's 127.0.0.1:5353 (UDP forwarding; rootless: rootlesskit's listener in the VM is what tslima
 * forwards), and the forward goes when the container does; `tslima delete` makes the previous context
 * current again. The tslima process runs with HOME set to a throw-away folder, so `~` (mounted
 * writable) is not the real home (the library's start passes that environment to the host agent), and
 * DOCKER_CONFIG to a throw-away docker config.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:http";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Cli, FileGuest } from "./harness.js";
import type { AgentEvent } from "../../src/index.js";
import { buildCacheDir } from "../../src/store/paths.js";
import { buildOutputDir, buildSpec } from "../../src/images/builder/index.js";
import { readPortForwards } from "../../src/portfwd/index.js";
import { poll } from "../../src/proc/wait.js";

export interface DockerSuite {
  /** The template, "docker" or "docker-rootful"; also the instance's name. */
  template: string;
  /** Whether its dockerd runs rootless (as the VM user). */
  rootless: boolean;
}

/** Declares the file's hooks and tests for one docker template. */
export function dockerSuite({ template, rootless }: DockerSuite): void {
  const NAME = template;
  const cli = new Cli(template);
  const instDir = join(cli.home, NAME);
  const hostHome = join(cli.root, "hosthome");
  const project = join(hostHome, "project");
  const dockerConfig = join(cli.root, "docker-config");
  const IMAGE = "tslima-e2e-busybox:1";
  // HOME and DOCKER_CONFIG are throw-away folders; the guest image build cache stays where it is.
  const hostEnv = { HOME: hostHome, XDG_CACHE_HOME: dirname(buildCacheDir()), DOCKER_CONFIG: dockerConfig };
  /** The context current before the start, which delete must make current again. */
  const BEFORE = "e2e-before";
  /** The prebuilt image with Docker: scripts/setup --tests built it, or the start builds it. */
  const dockerImageDir = buildOutputDir(buildCacheDir(), buildSpec("debian-12-docker", "x86_64"));
  let builtBefore = false;
  let deleted = false;
  const env = cli.env(hostEnv);
  let message = "";
  const guest = new FileGuest(cli);
  const bootEvents: AgentEvent[] = [];
  let bootSeconds = 0;

  before(async () => {
    mkdirSync(project, { recursive: true });
    mkdirSync(dockerConfig, { recursive: true });
    writeFileSync(join(project, "input.txt"), "written on the host\n");
    // some other context is current before the start
    dockerOk(["context", "create", BEFORE, "--docker", "host=unix:///nonexistent/docker.sock"]);
    dockerOk(["context", "use", BEFORE]);
    builtBefore = existsSync(join(dockerImageDir, "build.json"));
    const t0 = Date.now();
    // as `tslima start --cpus 1 --memory 2GiB --timeout 25m template:NAME` with HOME=hostHome
    await guest.boot({ cold: true, reason: `template:${template} is not the base guest`, name: NAME, locator: `template:${template}`, cpus: 1, memory: "2GiB", timeoutMs: 25 * 60_000, env: hostEnv, onEvent: (e) => bootEvents.push(e) });
    bootSeconds = (Date.now() - t0) / 1000;
  }, { timeout: 30 * 60_000 });
  after(() => (deleted ? cli.cleanup() : guest[Symbol.asyncDispose]()));

  /** This process's environment for the docker CLI: the test's DOCKER_CONFIG, no context override. */
  function dockerEnv(): NodeJS.ProcessEnv {
    const { DOCKER_CONTEXT: _c, DOCKER_HOST: _h, ...rest } = process.env;
    return { ...rest, DOCKER_CONFIG: join(cli.root, "docker-config") };
  }

  /** Runs the host's docker CLI as a user would, plain `docker ...`: the current context decides where it goes. */
  function docker(args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } {
    const r = spawnSync("docker", args, {
      env: dockerEnv(),
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
  const said = (e: AgentEvent): string => (e.kind === "ready" ? "READY" : "message" in e ? (e.message ?? "") : "");

  /** Seconds from the boot event whose line matches `from` to the one matching `to`. */
  function phaseSeconds(from: RegExp, to: RegExp): number | undefined {
    const at = (re: RegExp) => {
      const e = bootEvents.find((x) => re.test(said(x)));
      return e ? Date.parse(e.time) / 1000 : undefined;
    };
    const [a, b] = [at(from), at(to)];
    return a !== undefined && b !== undefined ? b - a : undefined;
  }

  /** Like docker(), without blocking this process (for tests whose host side is a server in it). */
  function dockerAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const c = spawn("docker", args, { env: dockerEnv(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      c.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
      c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => c.kill("SIGKILL"), 10 * 60_000);
      c.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 128, stdout, stderr });
      });
    });
  }

  test(`template:${template} boots its Docker image (built first by the start when missing, else not rebuilt) and makes its docker context current`, async () => {
    const lines = bootEvents.map(said).join("\n");
    console.log(lines);
    const provisioning = phaseSeconds(/Waiting for cloud-init/, /READY/);
    console.log(`${template} provisioning: ${provisioning?.toFixed(0) ?? "?"}s from "Waiting for cloud-init" to READY (dockerd up); start took ${bootSeconds.toFixed(0)}s in all${builtBefore ? "" : ", building the image first"}`);
    assert.match(lines, /probe/, "the readiness probe ran");
    const failed = bootEvents.flatMap((e) => (e.kind === "warning" && /provision/i.test(e.warning) ? [e.warning] : []));
    assert.deepEqual(failed, [], "every provisioning step succeeded");
    assert.ok(lines.includes(`over ${join(dockerImageDir, "disk.qcow2")}`), `the image ${dockerImageDir} is used:\n${lines}`);
    // built beforehand: found, not built again; else this start built it (its phases shown) and then booted
    if (builtBefore) assert.doesNotMatch(lines, /\[build\]/, "the built image is not built again");
    else assert.match(lines, /\[build\] debootstrap[^]*\[build\] done in/, "the start built the missing image, showing its phases");
    assert.equal(dockerOk(["context", "show"]).trim(), `tslima-${NAME}`, `start made the context tslima-${NAME} current`);
    // `tslima start` on the running instance prints the config's message again, as after the boot
    const again = await cli.ok(["start", NAME], { env });
    assert.match(again.stderr, /already running/);
    message = again.stdout;
    assert.ok(guest.vm.message.trim() !== "" && message.includes(guest.vm.message.trim()), "the library's message is the one the CLI prints");
    const sock = join(instDir, "sock", "docker.sock");
    assert.ok(message.includes(`unix://${sock}`) && message.includes(`tslima-${NAME}`), `start names the socket and the context:\n${message}`);
    assert.ok(statSync(sock).isSocket(), "the guest's docker.sock is forwarded to <instance>/sock/docker.sock");
    const endpoint = dockerOk(["context", "inspect", `tslima-${NAME}`, "--format", "{{.Endpoints.docker.Host}}"]);
    assert.equal(endpoint.trim(), `unix://${sock}`, "the context points at the forwarded socket");
    const mounts = await cli.ok(["shell", NAME, "sh", "-c", `grep ' ${hostHome} ' /proc/mounts`], { env });
    console.log(`guest mount: ${mounts.stdout.trim()}`);
    assert.match(mounts.stdout, / 9p rw[,\s]/, "the (throw-away) home is mounted read-write over 9p");
  });

  test("plain `docker` on the host reaches dockerd in the VM (no extra command)", () => {
    const v = dockerOk(["version", "--format", "{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}"]);
    const info = dockerOk(["info", "--format", "{{json .SecurityOptions}} {{.Driver}}"]);
    console.log(`dockerd in the VM: ${v.trim()}; security options and storage driver: ${info.trim()}`);
    assert.match(v, /^\d+\.\d+.* linux\/amd64/);
    assert.equal(/name=rootless/.test(info), rootless, rootless ? "the daemon runs rootless" : "the daemon runs as root");
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
    // with the guest's /usr bind-mounted at /usr, the guest's python3 runs in it (the UDP test's server)
    sh("ln", ["-s", "usr/lib", join(work, "rootfs", "lib")]);
    sh("ln", ["-s", "usr/lib64", join(work, "rootfs", "lib64")]);
    sh("tar", ["-C", join(work, "rootfs"), "-cf", join(work, "rootfs.tar"), "."]);
    dockerOk(["import", join(work, "rootfs.tar"), IMAGE]);
    const out = dockerOk(["run", "--rm", "--network", "none", IMAGE, "/bin/busybox", "echo", "busybox runs"]);
    assert.equal(out, "busybox runs\n");
  });

  /** The VM's id for a container's id: itself when rootful; rootless, the user's subordinate range (/etc/subuid). */
  async function vmIds(): Promise<{ uid: (id: number) => number; gid: (id: number) => number; user: string }> {
    const r = await cli.ok(["shell", NAME, "sh", "-c", 'u=$(id -un); echo "$u"; grep "^$u:" /etc/subuid; grep "^$u:" /etc/subgid'], { env });
    const [user = "", subuid = "", subgid = ""] = r.stdout.trim().split("\n");
    if (!rootless) return { uid: (id) => id, gid: (id) => id, user };
    const start = (line: string) => {
      const n = Number(line.split(":")[1]);
      assert.ok(Number.isInteger(n) && n > 0, `a subordinate id range for ${user}: "${line}"`);
      return n;
    };
    // container 0 is the VM user, container n (n >= 1) is the range's start + n - 1
    const [u0, g0] = [start(subuid), start(subgid)];
    return { uid: (id) => u0 + id - 1, gid: (id) => g0 + id - 1, user };
  }

  test("a container bind-mounts a host folder, writes a file and chowns it to 1234:1234", async () => {
    const ids = await vmIds();
    if (rootless && process.getuid?.() === 0) {
      // Rootless, the container's root is the VM user, who writes to folders the VM shows as theirs. A
      // user running tslima gets a VM user of their own uid, so their files are the VM user's; these
      // tests run as root, whose files the 9p mount shows as root's: hand the folder to the VM user
      // (through the mount: an xattr on the host, as any chown in the VM).
      await cli.ok(["shell", NAME, "sudo", "chown", `${ids.user}:`, project], { env });
    }
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
    // rootful: 1234 itself; rootless: the VM's id for the container's 1234, from the user's subordinate range
    console.log(`container 1234:1234 is ${ids.uid(1234)}:${ids.gid(1234)} in the VM (${rootless ? "rootless" : "rootful"})`);
    assert.equal(xattr("user.virtfs.uid"), ids.uid(1234), "the VM's owner of the file is in user.virtfs.uid");
    assert.equal(xattr("user.virtfs.gid"), ids.gid(1234), "and its group in user.virtfs.gid");
  });

  test("a container reaches a server on the host's 127.0.0.1 as host.docker.internal", async () => {
    const server = createServer((_req, res) => res.end("hello from the host\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await dockerAsync(["run", "--rm", IMAGE, "sh", "-c", `wget -qO- http://host.docker.internal:${port}/ && wget -qO- http://host.lima.internal:${port}/`]);
      assert.equal(r.code, 0, `wget in a container failed:\n${r.stdout}\n${r.stderr}`);
      assert.equal(r.stdout, "hello from the host\nhello from the host\n", "both names reach the host's loopback");
    } finally {
      server.close();
    }
  });

  /** One datagram to the host's 127.0.0.1:port; the answer, or undefined after `ms`. */
  function udpAsk(port: number, text: string, ms: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const s = createSocket("udp4");
      const timer = setTimeout(() => {
        s.close();
        resolve(undefined);
      }, ms);
      s.on("message", (m) => {
        clearTimeout(timer);
        s.close();
        resolve(m.toString("utf8"));
      });
      s.send(Buffer.from(text), port, "127.0.0.1");
    });
  }

  test("`docker run -p 5353:5353/udp` answers a datagram sent to the host's 127.0.0.1:5353; the forward goes with it", async () => {
    const echo = [
      "import socket",
      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
      "s.bind(('0.0.0.0', 5353))",
      "while True:",
      "    d, a = s.recvfrom(65535)",
      "    s.sendto(b'echo:' + d, a)",
    ].join("\n");
    dockerOk(["run", "-d", "--name", "udpecho", "-v", "/usr:/usr:ro", "-p", "5353:5353/udp", IMAGE, "/usr/bin/python3", "-c", echo]);
    const udpForward = () => readPortForwards(instDir).find((f) => f.proto === "udp" && f.host === "127.0.0.1:5353");
    try {
      const answer = await poll(() => udpAsk(5353, "ping", 3000), { timeoutMs: 180_000, intervalMs: 1000 });
      assert.equal(answer, "echo:ping", "the container's answer comes back to the host's client");
      assert.ok(udpForward(), `portfwd.json lists the UDP forward: ${JSON.stringify(readPortForwards(instDir))}`);
    } finally {
      dockerOk(["rm", "-f", "udpecho"]);
    }
    const gone = await poll(() => (udpForward() ? undefined : true), { timeoutMs: 60_000, intervalMs: 1000 });
    assert.ok(gone, "the UDP forward is removed once the container is gone");
    assert.equal(await udpAsk(5353, "ping", 2000), undefined, "nothing answers on 5353 any more");
  });

  test("`tslima delete` removes the context and makes the previous one current again", async () => {
    await cli.ok(["delete", "-f", NAME], { env });
    deleted = true;
    assert.equal(dockerOk(["context", "show"]).trim(), BEFORE);
    assert.notEqual(docker(["context", "inspect", `tslima-${NAME}`]).code, 0, `the context tslima-${NAME} is gone`);
  });
}
