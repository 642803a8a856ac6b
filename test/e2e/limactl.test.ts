/**
 * The limactl drop-in (issue 13) end to end, on ONE small VM (the locally built Debian 12 guest) that
 * is driven through both names, `limactl` (bin/limactl.js, and `lima`) and `tslima`: list --json as
 * Lima's tools read it, list --filter/--yq on the running and the stopped instance, `lima CMD`, a
 * `tunnel` (SOCKS5 through the ControlMaster) to a server on the guest's 127.0.0.1, `show-ssh`'s
 * formats used by the ssh client, edit refused
 * while running then applied when stopped; Lima's snapshot --tag (taken and listed while the
 * instance is suspended, which then still resumes; apply refused while suspended, create while
 * running; applied once stopped); clone (the clone boots with the original's data, as the
 * applied snapshot left it, and its own host key), which also attaches a disk made with `disk
 * create` by additionalDisks (mounted at /mnt/lima-NAME, locked against delete and a second
 * instance, released by stop); protect refusing delete and rename; factory-reset leaving only the
 * edited lima.yaml (what `create` leaves: its next start is the first boot every other file shows).
 * Boots run one after another, each used for all it can show: the first (resumed from the run's
 * base snapshot, suspended for snapshot t1 and resumed again) and the clone's.
 */
import { logSummary } from "../support/logrus.js";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";
import { agentStatus, subscribeAgentEvents } from "../../src/instance/agent-request.js";
import { instancePaths } from "../../src/store/paths.js";
import type { AgentEvent } from "../../src/store/events.js";
import { Cli, FileGuest, guestYaml, parseList, type Run } from "./harness.js";

const NAME = "lc13";
const CLONE = "lc13_Clone";
const cli = new Cli("limactl");
const guest = new FileGuest(cli);
const BOOT = { timeout: 20 * 60_000 };

/** Runs bin/limactl.js (or bin/lima.js) with the e2e home; never rejects. */
function limactl(args: string[], o: { bin?: "limactl" | "lima"; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", `${o.bin ?? "limactl"}.js`), ...args], { cwd: cli.root, env: cli.env(o.env), stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.once("close", (code) => resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

async function ok(args: string[], o: Parameters<typeof limactl>[1] = {}): Promise<Run> {
  const r = await limactl(args, o);
  if (r.code !== 0) throw new Error(`${o.bin ?? "limactl"} ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

async function record(name: string): Promise<Record<string, unknown>> {
  const [r] = parseList((await ok(["list", "--json", name])).stdout);
  assert.ok(r, `list --json ${name}`);
  return r;
}

before(() => guest.boot({ from: "base-snapshot", name: NAME, yaml: guestYaml() }).then(() => undefined), BOOT);
after(() => guest[Symbol.asyncDispose]());

test("limactl list --json and lima CMD on the running instance", async () => {
  const r = await record(NAME);
  assert.equal(r.status, "Running");
  assert.equal(r.vmType, "qemu");
  assert.equal(r.cpus, 1);
  assert.equal(r.memory, 1024 ** 3);
  assert.equal(r.sshAddress, "127.0.0.1");
  assert.ok(Number(r.sshLocalPort) > 0 && Number(r.hostAgentPID) > 0 && Number(r.driverPID) > 0, JSON.stringify(r));
  const host = await ok(["hostname"], { bin: "lima", env: { LIMA_INSTANCE: NAME } });
  assert.equal(host.stdout.trim(), "lima-lc13");
  const wd = await ok(["pwd"], { bin: "lima", env: { LIMA_INSTANCE: NAME, LIMA_WORKDIR: "/tmp" } });
  assert.equal(wd.stdout.trim(), "/tmp");
  await ok(["sh", "-c", "echo from-the-original > ~/mark"], { bin: "lima", env: { LIMA_INSTANCE: NAME } });
});

test("limactl list --filter/--yq on the running instance", async () => {
  assert.equal((await ok(["list", "-q", "--filter", '.status == "Running"'])).stdout, `${NAME}\n`);
  assert.equal((await ok(["list", "-q", "--filter", '.status == "Stopped"'])).stdout, "");
  const port = (await ok(["ls", NAME, "--yq", "select(.status == \"Running\")", "--yq", ".sshLocalPort"])).stdout.trim();
  assert.equal(Number(port), (await record(NAME)).sshLocalPort);
  const pair = await ok(["ls", "--filter", `.name == "${NAME}" and .cpus == 1`, "--yq", "{name, status}"]);
  assert.deepEqual(JSON.parse(pair.stdout), { name: NAME, status: "Running" });
  const bad = await limactl(["ls", "--filter", ".status = 1"]);
  assert.equal(bad.code, 1);
  assert.deepEqual(logSummary(bad.stderr), ["fatal: = assigns and keeps every instance; compare with =="]);
});

/** GET http://HOST:PORT/PATH through a SOCKS5 proxy on 127.0.0.1 (the name resolved by the proxy); the whole response. */
function socksGet(proxyPort: number, host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port: proxyPort });
    let buf = Buffer.alloc(0);
    let stage = 0;
    s.setTimeout(30_000, () => s.destroy(new Error("SOCKS request timed out")));
    s.once("error", reject);
    s.once("connect", () => s.write(Buffer.from([5, 1, 0])));
    s.on("data", (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (stage === 0 && buf.length >= 2) {
        if (buf[0] !== 5 || buf[1] !== 0) return s.destroy(new Error(`SOCKS greeting refused: ${buf.toString("hex")}`));
        buf = buf.subarray(2);
        stage = 1;
        const name = Buffer.from(host);
        s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([port >> 8, port & 255])]));
      }
      if (stage === 1 && buf.length >= 10) {
        if (buf[1] !== 0) return s.destroy(new Error(`SOCKS connect failed with reply ${buf[1]}`));
        buf = buf.subarray(10);
        stage = 2;
        s.write(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
      }
    });
    s.once("end", () => (stage === 2 ? resolve(buf.toString("utf8")) : reject(new Error(`SOCKS proxy closed at stage ${stage}`))));
  });
}

/** Command lines of this host's processes that mention TEXT. */
function processesWith(text: string): string[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ");
      } catch {
        return "";
      }
    })
    .filter((c) => c.includes(text));
}

test("limactl tunnel: a SOCKS5 proxy reaches a server on the guest's 127.0.0.1; --stop closes it and leaves no ssh process", async () => {
  const GUEST_PORT = 18713;
  await ok(["sh", "-c", `mkdir -p /tmp/www && hostname >/tmp/www/who && cd /tmp/www && nohup python3 -m http.server ${GUEST_PORT} --bind 127.0.0.1 </dev/null >/dev/null 2>&1 & sleep 1`], { bin: "lima", env: { LIMA_INSTANCE: NAME } });
  const t = await ok(["tunnel", NAME]);
  const port = Number(/ALL_PROXY=socks5h:\/\/127\.0\.0\.1:(\d+)/.exec(t.stdout)?.[1]);
  assert.ok(port >= 1024, t.stdout);
  let body = "";
  for (let i = 0; i < 10 && !body.includes("lima-lc13"); i++) {
    body = await socksGet(port, "localhost", GUEST_PORT, "/who").catch((e: Error) => e.message);
    if (!body.includes("lima-lc13")) await new Promise((r) => setTimeout(r, 500));
  }
  assert.match(body, /^HTTP\/1\.0 200[\s\S]*\r\n\r\nlima-lc13\n$/);
  const again = await ok(["tunnel", NAME]);
  assert.match(again.stdout, new RegExp(`127\\.0\\.0\\.1:${port}\\b`), "a second tunnel command reports the open one");
  const busy = await limactl(["tunnel", NAME, "--socks-port", String(port + 1)]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, new RegExp(`already has a tunnel on port ${port}`));
  const stopped = await ok(["tunnel", NAME, "--stop"]);
  assert.match(stopped.stderr, new RegExp(`closed the SOCKS proxy on 127\\.0\\.0\\.1:${port}`));
  await assert.rejects(socksGet(port, "localhost", GUEST_PORT, "/who"), /ECONNREFUSED/);
  assert.deepEqual(processesWith(`127.0.0.1:${port}`), [], "no ssh process is left holding the port");
  assert.match((await ok(["tunnel", NAME, "--stop"])).stderr, /has no open tunnel/);
  await ok(["sh", "-c", `pkill -f "[h]ttp.server ${GUEST_PORT}"; true`], { bin: "lima", env: { LIMA_INSTANCE: NAME } });
});

test("show-ssh cmd, args and config reach the running guest; Lima's deprecation warning goes to stderr", async () => {
  const sh = (script: string) => {
    const r = spawnSync("sh", ["-c", script], { encoding: "utf8", env: cli.env(), cwd: cli.root, timeout: 120_000 });
    assert.equal(r.status, 0, `${script}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const cmd = await ok(["show-ssh", NAME]);
  assert.deepEqual(logSummary(cmd.stderr), [`warning: \`limactl show-ssh\` is deprecated. Instead, use \`ssh -F ${join(cli.home, NAME, "ssh.config")} lima-${NAME}\`.`]);
  assert.equal(sh(`${cmd.stdout.trim()} hostname`), `lima-${NAME}`);
  const args = (await ok(["show-ssh", "--format", "args", NAME])).stdout.trim();
  assert.equal(sh(`ssh ${args} lima-${NAME} -- id -un`), (await ok(["shell", NAME, "id", "-un"])).stdout.trim());
  const config = cli.file("show-ssh.config", (await ok(["show-ssh", "-f", "config", NAME])).stdout);
  assert.equal(sh(`ssh -F ${config} lima-${NAME} -- echo via-config`), "via-config");
  const port = (await ok(["show-ssh", "-f", "options", NAME])).stdout.split("\n").find((l) => l.startsWith("Port="));
  const listed = await record(NAME);
  assert.equal(port, `Port=${String(listed.sshLocalPort)}`);
  assert.ok(Number(listed.sshLocalPort) > 0);
});

test("snapshot --tag on the suspended instance: taken and listed, apply refused; the start still resumes it", BOOT, async () => {
  // written before the suspend (which syncs the guest), so it is on the disk snapshot t1 holds
  await ok(["sh", "-c", "echo before > ~/snapmark"], { bin: "lima", env: { LIMA_INSTANCE: NAME } });
  // the agent's control socket: its status, and a subscriber that sees the suspend's events
  const paths = instancePaths(cli.home, NAME);
  const before = await record(NAME);
  const status = await agentStatus(paths);
  assert.deepEqual([status.activity, status.ready, status.sshLocalPort, status.pid, status.qemuPid], ["ready", true, Number(before.sshLocalPort), Number(before.hostAgentPID), Number(before.driverPID)], JSON.stringify(status));
  const seen: AgentEvent[] = [];
  const events = await subscribeAgentEvents(paths, { onEvent: (e) => seen.push(e) });
  await cli.ok(["suspend", NAME]);
  await events.closed;
  assert.deepEqual(seen.map((e) => (e.kind === "suspend" ? e.phase : e.kind === "step" ? e.step : "message" in e ? e.message : undefined)).filter((s) => ["requested", "unmount", "save-state", "saved", "exiting"].includes(s ?? "")), ["requested", "unmount", "save-state", "saved", "exiting"]);
  assert.equal(existsSync(paths.haSock), false, "the agent removed ha.sock as it exited");
  assert.equal((await record(NAME)).status, "Suspended");
  await ok(["snapshot", "create", NAME, "--tag", "t1"]);
  assert.equal((await ok(["snapshot", "list", NAME, "-q"])).stdout, "t1\n");
  const [listed] = (await ok(["snapshot", "list", NAME, "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as { tag: string; dateSec: number });
  assert.equal(listed?.tag, "t1");
  assert.ok((listed?.dateSec ?? 0) > 0, JSON.stringify(listed));
  const dup = await limactl(["snapshot", "create", NAME, "--tag", "t1"]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already has a snapshot tagged t1/);
  const apply = await limactl(["snapshot", "apply", NAME, "--tag", "t1"]);
  assert.equal(apply.code, 1);
  assert.match(apply.stderr, /cannot apply a snapshot to instance lc13: it is Suspended and its saved state belongs to the current disk/);
  // taking t1 rewrote the qcow2 file, not what the guest sees of it: the saved state still resumes
  const started = await cli.ok(["start", NAME], { timeoutMs: BOOT.timeout });
  assert.match(started.stderr, /Restoring the state saved at/);
  assert.doesNotMatch(started.stderr, /not resuming/);
  assert.equal((await ok(["cat", "snapmark"], { bin: "lima", env: { LIMA_INSTANCE: NAME } })).stdout, "before\n");
});

test("snapshot create and edit are refused while it runs; once it is stopped, edit is applied and so is snapshot t1", async () => {
  await ok(["sh", "-c", "echo after > ~/aftermark && sync"], { bin: "lima", env: { LIMA_INSTANCE: NAME } });
  const running = await limactl(["snapshot", "create", NAME, "--tag", "t2"]);
  assert.equal(running.code, 1);
  assert.match(running.stderr, /it is Running[\s\S]*stop it first: limactl stop lc13[\s\S]*ERR_TSLIMA_INSTANCE_RUNNING/);
  const refused = await limactl(["edit", NAME, "--memory", "1.5"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot edit instance lc13: it is Running[\s\S]*ERR_TSLIMA_INSTANCE_RUNNING/);
  await ok(["stop", NAME]);
  assert.equal((await ok(["list", "-q", "--filter", '.status == "Stopped"', "--filter", `.name | test("^lc1")`])).stdout, `${NAME}\n`);
  assert.equal((await ok(["list", "--filter", '.status == "Running"', "--format", "{{.Name}}"])).stdout, "");
  assert.equal((await ok(["list", NAME, "--yq", ".status", "--format", "yaml"])).stdout, "Stopped\n");
  await ok(["edit", NAME, "--memory", "1.5", "--set", '.env.LC13 = "edited"']);
  assert.equal((await record(NAME)).memory, 1.5 * 1024 ** 3);
  // its effect is seen by the clone's boot (next test): the clone copies this disk as apply left it
  await ok(["snapshot", "apply", NAME, "--tag", "t1"]);
});

const DISK = "lc13d";
const TWO = "lc13-two";

test("clone of the stopped instance boots with the original's data (as the applied snapshot left it), its own ssh host key, and a disk from disk create in additionalDisks", BOOT, async () => {
  const r = await cli.ok(["clone", NAME, CLONE]);
  assert.match(r.stderr, /cloned instance lc13 to lc13_Clone/);
  assert.equal((await record(CLONE)).status, "Stopped");
  await ok(["disk", "create", DISK, "--size", "1GiB"]);
  await ok(["edit", CLONE, "--set", `.additionalDisks += ["${DISK}"]`]);
  await cli.ok(["start", CLONE], { timeoutMs: BOOT.timeout });
  const mark = await cli.ok(["shell", CLONE, "cat", "mark"]);
  assert.equal(mark.stdout, "from-the-original\n");
  const env = await ok(["shell", CLONE, "sh", "-c", "echo $LC13"]);
  assert.equal(env.stdout.trim(), "edited");
  const sh = (script: string) => limactl(["shell", CLONE, "sh", "-c", script]);
  assert.equal((await sh("cat ~/snapmark")).stdout, "before\n", "the file the snapshot holds is there");
  assert.equal((await sh("test -e ~/aftermark")).code, 1, "a file written after the snapshot is gone once it is applied");
  const pin = (n: string) => readFileSync(join(cli.home, n, "known_hosts"), "utf8").split(" ").slice(1).join(" ");
  assert.notEqual(pin(CLONE), pin(NAME), "the clone has a host key of its own");
});

test("the disk from additionalDisks is mounted at /mnt/lima-NAME and locked: disk delete and a second instance are refused", async () => {
  const sh = (script: string) => limactl(["shell", CLONE, "sh", "-c", script]);
  assert.equal((await sh(`findmnt -n -o FSTYPE /mnt/lima-${DISK}`)).stdout.trim(), "ext4");
  const wrote = await sh(`echo on-the-disk > /mnt/lima-${DISK}/f && cat /mnt/lima-${DISK}/f`);
  assert.equal(wrote.stdout, "on-the-disk\n", wrote.stderr);
  const [d] = (await ok(["disk", "list", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual([d?.name, d?.format, d?.size, d?.instance, d?.mountPoint], [DISK, "qcow2", 1024 ** 3, CLONE, `/mnt/lima-${DISK}`]);
  const del = await limactl(["disk", "delete", DISK]);
  assert.equal(del.code, 1);
  assert.match(del.stderr, /cannot delete disk lc13d: it is in use by instance lc13_Clone[\s\S]*ERR_TSLIMA_DISK_IN_USE/);
  // a second instance asking for the disk is refused before its VM starts
  const yaml = cli.file(`${TWO}.yaml`, `${guestYaml()}\nadditionalDisks: ["${DISK}"]\n`);
  await ok(["create", "--name", TWO, yaml]);
  const two = await limactl(["start", TWO], {});
  assert.equal(two.code, 1);
  assert.match(two.stderr, /additional disk lc13d is in use by instance lc13_Clone/);
  await ok(["delete", "-f", TWO]);
});

test("after a stop the disk is unlocked; disk delete needs -f while lima.yaml lists it", async () => {
  await ok(["stop", CLONE]);
  const [d] = (await ok(["disk", "list", "--json", DISK])).stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(d?.instance, "", "stopping releases the lock");
  const listed = await limactl(["disk", "delete", DISK]);
  assert.equal(listed.code, 1);
  assert.match(listed.stderr, /listed in additionalDisks of instance lc13_Clone/);
  await ok(["disk", "delete", "-f", DISK]);
  assert.equal((await ok(["disk", "list", "--json"])).stdout, "");
  await ok(["delete", CLONE]);
  assert.deepEqual((await ok(["list", "-q"])).stdout, `${NAME}\n`);
});

test("snapshot delete --tag", async () => {
  await ok(["snapshot", "delete", NAME, "--tag", "t1"]);
  assert.equal((await ok(["snapshot", "list", NAME, "-q"])).stdout, "");
});

test("protect refuses delete and rename until unprotect; factory-reset keeps only lima.yaml (as edited) and leaves a Stopped instance whose next start is a first boot", async () => {
  await ok(["protect", NAME]);
  const del = await limactl(["rm", NAME]);
  assert.equal(del.code, 1);
  assert.deepEqual(logSummary(del.stderr), ["fatal: failed to delete instance `lc13`: instance is protected to prohibit accidental removal (Hint: use `limactl unprotect`)"]);
  const ren = await cli.run(["rename", NAME, "other"]);
  assert.equal(ren.code, 1);
  assert.match(ren.stderr, /protected; refusing to rename/);
  assert.equal((await record(NAME)).protected, true);
  await ok(["unprotect", NAME]);
  await ok(["factory-reset", NAME]);
  // What is left is what `create` leaves: the next start boots the image afresh with a full
  // cloud-init run (as every FileGuest and `create` + `start` in these files does).
  assert.deepEqual(readdirSync(join(cli.home, NAME)), ["lima.yaml"]);
  const rec = await record(NAME);
  assert.deepEqual([rec.status, rec.memory, rec.protected ?? false], ["Stopped", 1.5 * 1024 ** 3, false]);
  assert.match(readFileSync(join(cli.home, NAME, "lima.yaml"), "utf8"), /LC13: "?edited"?/, "the edited config is kept");
});
