/** UDP forwarding (issue 14): guest UDP servers in the watcher's output, the rules, the relay's frames, and the relay run locally. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import type { PortForward } from "../../../src/config/types.js";
import { decide, dockerHostSocket, forwardingRules } from "../../../src/portfwd/rules.js";
import { desiredForwards, describeForward, forwardKey, sshForwardArgs } from "../../../src/portfwd/plan.js";
import { listenersFromFields } from "../../../src/portfwd/procnet.js";
import { parseWatcherLine } from "../../../src/portfwd/watchscript.js";
import { encodeFrame, FrameDecoder, GUEST_RELAY_SCRIPT, relayArgs } from "../../../src/portfwd/udprelay.js";

const rule = (r: Partial<PortForward>): PortForward => ({
  guestIPMustBeZero: false, guestIP: "127.0.0.1", guestPort: 0, guestPortRange: [1, 65535], guestSocket: "",
  hostIP: "127.0.0.1", hostPort: 0, hostPortRange: [1, 65535], hostSocket: "", proto: "tcp", reverse: false, ignore: false, ...r,
});

test("the watcher's u: fields are UDP listeners, listed after the TCP ones", () => {
  assert.deepEqual(parseWatcherLine("LISTEN u:00000000:14E9 0100007F:1F90 u:0100007F:14E9"), [
    { proto: "tcp", ip: "127.0.0.1", port: 8080 },
    { proto: "udp", ip: "0.0.0.0", port: 5353 },
    { proto: "udp", ip: "127.0.0.1", port: 5353 },
  ]);
  assert.deepEqual(listenersFromFields(["0100007F:14E9", "u:0100007F:14E9"]).map((l) => l.proto), ["tcp", "udp"], "the same port in both protocols is two listeners");
});

test("the default rule forwards a UDP server on 0.0.0.0 or 127.0.0.1; DHCP's 68, LLMNR and other addresses are not", () => {
  const rules = forwardingRules([]);
  const d = decide(rules, { proto: "udp", ip: "0.0.0.0", port: 5353 });
  assert.ok("forward" in d);
  assert.deepEqual(d.forward.host, { ip: "127.0.0.1", port: 5353 });
  assert.deepEqual(d.forward.guest, { ip: "127.0.0.1", port: 5353 });
  assert.equal(d.forward.proto, "udp");
  assert.equal(describeForward(d.forward), "guest 127.0.0.1:5353 -> host 127.0.0.1:5353 (udp, default rule)");
  assert.ok("problem" in sshForwardArgs(d.forward), "never an ssh -L");
  assert.deepEqual(decide(rules, { proto: "udp", ip: "192.168.5.15", port: 5000 }), { ignore: "no rule matches" });
  assert.deepEqual(decide(rules, { proto: "udp", ip: "192.168.5.15", port: 68 }), { ignore: "ignored by DHCP client port 68" });
  assert.deepEqual(decide(rules, { proto: "udp", ip: "0.0.0.0", port: 5355 }), { ignore: "ignored by LLMNR port 5355 (systemd-resolved)" });
  assert.deepEqual(decide(rules, { proto: "udp", ip: "127.0.0.53", port: 53 }), { ignore: "no rule matches" });
});

test("a rule's proto must match: tcp rules skip UDP listeners, udp rules TCP ones, any takes both", () => {
  const rules = forwardingRules([rule({ guestPort: 9000, guestPortRange: [9000, 9000], hostPortRange: [19000, 19000], proto: "udp" }), rule({ guestPort: 9000, guestPortRange: [9000, 9000], ignore: true, proto: "tcp" })]);
  const udp = decide(rules, { proto: "udp", ip: "127.0.0.1", port: 9000 });
  assert.ok("forward" in udp && "port" in udp.forward.host && udp.forward.host.port === 19000 && udp.forward.rule === "portForwards[0]");
  assert.deepEqual(decide(rules, { proto: "tcp", ip: "127.0.0.1", port: 9000 }), { ignore: "ignored by portForwards[1]" });
});

test("TCP and UDP on the same host port are two forwards with different keys", () => {
  const { forwards } = desiredForwards([{ proto: "tcp", ip: "127.0.0.1", port: 53 }, { proto: "udp", ip: "127.0.0.1", port: 53 }], forwardingRules([]));
  assert.equal(forwards.length, 2);
  assert.notEqual(forwardKey(forwards[0]!), forwardKey(forwards[1]!));
});

test("dockerHostSocket: the host end of a guest docker.sock forward (rootful or rootless), else undefined", () => {
  assert.equal(dockerHostSocket([rule({ guestSocket: "/var/run/docker.sock", hostSocket: "/h/sock/docker.sock" })]), "/h/sock/docker.sock");
  assert.equal(dockerHostSocket([rule({ guestPort: 80 }), rule({ guestSocket: "/run/user/501/docker.sock", hostSocket: "/h/d.sock" })]), "/h/d.sock");
  assert.equal(dockerHostSocket([rule({ guestSocket: "/run/containerd/containerd.sock", hostSocket: "/h/c.sock" })]), undefined);
  assert.equal(dockerHostSocket([rule({ guestSocket: "/var/run/docker.sock", hostSocket: "/h/d.sock", reverse: true })]), undefined);
  assert.equal(dockerHostSocket([]), undefined);
});

test("frames: split anywhere in the stream, they come back whole and in order", () => {
  const stream = Buffer.concat([encodeFrame(1, Buffer.from("ping")), encodeFrame(65534, Buffer.alloc(0)), encodeFrame(7, Buffer.alloc(3000, 0x61))]);
  const d = new FrameDecoder();
  const got: Array<{ id: number; payload: Buffer }> = [];
  for (let i = 0; i < stream.length; i += 5) got.push(...d.push(stream.subarray(i, i + 5)));
  assert.deepEqual(got.map((f) => [f.id, f.payload.length]), [[1, 4], [65534, 0], [7, 3000]]);
  assert.equal(got[0]!.payload.toString(), "ping");
});

const hasPython = spawnSync("python3", ["-c", "pass"]).status === 0;

test("the guest relay program, run locally, carries a datagram to a UDP server and its answer back", { skip: hasPython ? false : "needs python3" }, async () => {
  const server = createSocket("udp4");
  server.on("message", (m, r) => server.send(Buffer.concat([Buffer.from("echo:"), m]), r.port, r.address));
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
  const port = server.address().port;
  const relay = spawn("python3", ["-c", GUEST_RELAY_SCRIPT, ...relayArgs("127.0.0.1", port)], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const d = new FrameDecoder();
    const answers: Array<{ id: number; payload: Buffer }> = [];
    const two = new Promise<void>((resolve) => relay.stdout.on("data", (b: Buffer) => {
      answers.push(...d.push(b));
      if (answers.length === 2) resolve();
    }));
    relay.stdin.write(encodeFrame(3, Buffer.from("a")));
    relay.stdin.write(encodeFrame(4, Buffer.from("b")));
    await two;
    assert.deepEqual(answers.map((a) => `${a.id}=${a.payload.toString()}`).sort(), ["3=echo:a", "4=echo:b"], "each answer carries its client's id");
    relay.stdin.end();
    const code = await new Promise((resolve) => relay.once("exit", resolve));
    assert.equal(code, 0, "EOF on stdin ends the relay");
  } finally {
    relay.kill();
    server.close();
  }
});
