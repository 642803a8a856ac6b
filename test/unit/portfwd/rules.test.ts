import { test } from "node:test";
import assert from "node:assert/strict";
import type { PortForward } from "../../../src/config/types.js";
import { fillDefaults } from "../../../src/config/defaults.js";
import { decide, forwardingRules, socketForwards } from "../../../src/portfwd/rules.js";
import { endpointText } from "../../../src/portfwd/plan.js";

/** A rule filled the way fillDefaults fills one (see src/config/defaults.ts). */
function pf(r: Partial<PortForward>): PortForward {
  const guestIPMustBeZero = r.guestIPMustBeZero ?? false;
  const guestPortRange = r.guestPortRange ?? (r.guestPort ? [r.guestPort, r.guestPort] : [1, 65535]);
  return {
    guestIPMustBeZero,
    guestIP: r.guestIP ?? (guestIPMustBeZero ? "0.0.0.0" : "127.0.0.1"),
    guestPort: r.guestPort ?? 0,
    guestPortRange,
    guestSocket: r.guestSocket ?? "",
    hostIP: r.hostIP ?? "127.0.0.1",
    hostPort: r.hostPort ?? 0,
    hostPortRange: r.hostPortRange ?? (r.hostPort ? [r.hostPort, r.hostPort] : [...guestPortRange]),
    hostSocket: r.hostSocket ?? "",
    proto: r.proto ?? "tcp",
    reverse: r.reverse ?? false,
    ignore: r.ignore ?? false,
  };
}

/** "forward: GUESTIP PORT -> HOST (rule)" or "ignore: GUESTIP PORT (why)", like Lima's test-port-forwarding.pl. */
function outcome(rules: PortForward[], ip: string, port: number, sshLocalPort = 60022): string {
  const d = decide(forwardingRules(rules, sshLocalPort), { proto: "tcp", ip, port });
  if ("ignore" in d) return `ignore: ${ip} ${port} (${d.ignore})`;
  const f = d.forward;
  return `forward: ${ip} ${port} -> ${endpointText(f.host)} via ${endpointText(f.guest)} (${f.rule})`;
}

test("no rules: loopback and wildcard listeners go 1:1 to the host's 127.0.0.1; others are not forwarded", () => {
  assert.equal(outcome([], "127.0.0.1", 8080), "forward: 127.0.0.1 8080 -> 127.0.0.1:8080 via 127.0.0.1:8080 (default rule)");
  assert.equal(outcome([], "0.0.0.0", 8080), "forward: 0.0.0.0 8080 -> 127.0.0.1:8080 via 127.0.0.1:8080 (default rule)");
  assert.equal(outcome([], "::1", 8123), "forward: ::1 8123 -> 127.0.0.1:8123 via [::1]:8123 (default rule)");
  assert.equal(outcome([], "::", 8123), "forward: :: 8123 -> 127.0.0.1:8123 via [::1]:8123 (default rule)");
  assert.equal(outcome([], "127.0.0.1", 80), "forward: 127.0.0.1 80 -> 127.0.0.1:80 via 127.0.0.1:80 (default rule)");
  assert.equal(outcome([], "10.0.2.15", 8080), "ignore: 10.0.2.15 8080 (no rule matches)");
  assert.equal(outcome([], "127.0.0.53", 53), "ignore: 127.0.0.53 53 (no rule matches)");
});

test("port 22 and the host's ssh port are never forwarded, whatever the rules say", () => {
  const rules = [pf({ guestPort: 22, hostPort: 2222 }), pf({ guestIP: "0.0.0.0", guestPort: 60022 })];
  assert.equal(outcome(rules, "0.0.0.0", 22), "ignore: 0.0.0.0 22 (ignored by ssh port 22)");
  assert.equal(outcome(rules, "127.0.0.1", 22), "ignore: 127.0.0.1 22 (ignored by ssh port 22)");
  assert.equal(outcome(rules, "::", 22), "ignore: :: 22 (ignored by ssh port 22)");
  assert.equal(outcome(rules, "127.0.0.1", 60022), "ignore: 127.0.0.1 60022 (ignored by host ssh port 60022)");
  assert.equal(outcome(rules, "127.0.0.1", 60023), "forward: 127.0.0.1 60023 -> 127.0.0.1:60023 via 127.0.0.1:60023 (default rule)");
});

test("guestPort -> hostPort, and ranges map with their offset", () => {
  const rules = [pf({ guestPort: 80, hostPort: 8080 }), pf({ guestPortRange: [4000, 4999], hostPortRange: [5000, 5999], hostIP: "0.0.0.0" })];
  assert.equal(outcome(rules, "127.0.0.1", 80), "forward: 127.0.0.1 80 -> 127.0.0.1:8080 via 127.0.0.1:80 (portForwards[0])");
  assert.equal(outcome(rules, "0.0.0.0", 80), "forward: 0.0.0.0 80 -> 127.0.0.1:8080 via 127.0.0.1:80 (portForwards[0])");
  assert.equal(outcome(rules, "::1", 80), "forward: ::1 80 -> 127.0.0.1:8080 via [::1]:80 (portForwards[0])");
  assert.equal(outcome(rules, "127.0.0.1", 81), "forward: 127.0.0.1 81 -> 127.0.0.1:81 via 127.0.0.1:81 (default rule)");
  assert.equal(outcome(rules, "127.0.0.1", 4010), "forward: 127.0.0.1 4010 -> 0.0.0.0:5010 via 127.0.0.1:4010 (portForwards[1])");
  assert.equal(outcome(rules, "127.0.0.1", 4999), "forward: 127.0.0.1 4999 -> 0.0.0.0:5999 via 127.0.0.1:4999 (portForwards[1])");
});

test("first matching rule wins; later rules are shadowed", () => {
  const rules = [
    pf({ guestPortRange: [3000, 3029], hostPortRange: [2000, 2029] }),
    pf({ guestPortRange: [3020, 3029], ignore: true }),
  ];
  assert.equal(outcome(rules, "127.0.0.1", 3020), "forward: 127.0.0.1 3020 -> 127.0.0.1:2020 via 127.0.0.1:3020 (portForwards[0])");
});

test("ignore on 127.0.0.1 does not block a listener on 0.0.0.0; ignore on 0.0.0.0 blocks every address", () => {
  const rules = [pf({ guestPort: 8888, ignore: true }), pf({ guestIP: "0.0.0.0", guestPortRange: [3010, 3019], ignore: true })];
  assert.equal(outcome(rules, "127.0.0.1", 8888), "ignore: 127.0.0.1 8888 (ignored by portForwards[0])");
  assert.equal(outcome(rules, "::1", 8888), "ignore: ::1 8888 (ignored by portForwards[0])");
  assert.equal(outcome(rules, "0.0.0.0", 8888), "forward: 0.0.0.0 8888 -> 127.0.0.1:8888 via 127.0.0.1:8888 (default rule)");
  assert.equal(outcome(rules, "0.0.0.0", 3010), "ignore: 0.0.0.0 3010 (ignored by portForwards[1])");
  assert.equal(outcome(rules, "127.0.0.1", 3011), "ignore: 127.0.0.1 3011 (ignored by portForwards[1])");
  assert.equal(outcome(rules, "10.0.2.15", 3012), "ignore: 10.0.2.15 3012 (ignored by portForwards[1])");
});

test("guestIP 0.0.0.0 matches any address unless guestIPMustBeZero", () => {
  const any = [pf({ guestIP: "0.0.0.0", guestPort: 9000, hostIP: "0.0.0.0" })];
  assert.equal(outcome(any, "10.0.2.15", 9000), "forward: 10.0.2.15 9000 -> 0.0.0.0:9000 via 10.0.2.15:9000 (portForwards[0])");
  assert.equal(outcome(any, "127.0.0.1", 9000), "forward: 127.0.0.1 9000 -> 0.0.0.0:9000 via 127.0.0.1:9000 (portForwards[0])");
  const zero = [pf({ guestIPMustBeZero: true, guestPort: 7443, hostIP: "0.0.0.0" })];
  assert.equal(outcome(zero, "0.0.0.0", 7443), "forward: 0.0.0.0 7443 -> 0.0.0.0:7443 via 127.0.0.1:7443 (portForwards[0])");
  assert.equal(outcome(zero, "::", 7443), "forward: :: 7443 -> 0.0.0.0:7443 via [::1]:7443 (portForwards[0])");
  assert.equal(outcome(zero, "127.0.0.1", 7443), "forward: 127.0.0.1 7443 -> 127.0.0.1:7443 via 127.0.0.1:7443 (default rule)");
  assert.equal(outcome(zero, "10.0.2.15", 7443), "ignore: 10.0.2.15 7443 (no rule matches)");
});

test("a specific guestIP; a listener on all addresses matches it too", () => {
  const rules = [pf({ guestIP: "127.0.0.2", hostIP: "127.0.0.2" })];
  assert.equal(outcome(rules, "127.0.0.2", 3000), "forward: 127.0.0.2 3000 -> 127.0.0.2:3000 via 127.0.0.2:3000 (portForwards[0])");
  assert.equal(outcome(rules, "0.0.0.0", 3000), "forward: 0.0.0.0 3000 -> 127.0.0.2:3000 via 127.0.0.1:3000 (portForwards[0])");
  assert.equal(outcome(rules, "127.0.0.1", 3000), "forward: 127.0.0.1 3000 -> 127.0.0.1:3000 via 127.0.0.1:3000 (default rule)");
  const v6 = [pf({ guestIP: "0:0::1", guestPort: 5000, hostPort: 6000 })];
  assert.equal(outcome(v6, "::1", 5000), "forward: ::1 5000 -> 127.0.0.1:6000 via [::1]:5000 (portForwards[0])");
});

test("proto: udp rules do not match TCP listeners, any does", () => {
  assert.equal(outcome([pf({ guestPort: 53, proto: "udp", ignore: true })], "127.0.0.1", 53), "forward: 127.0.0.1 53 -> 127.0.0.1:53 via 127.0.0.1:53 (default rule)");
  assert.equal(outcome([pf({ guestPort: 53, proto: "any", ignore: true })], "127.0.0.1", 53), "ignore: 127.0.0.1 53 (ignored by portForwards[0])");
});

test("a TCP port forwarded to a host socket", () => {
  assert.equal(
    outcome([pf({ guestPort: 5432, hostSocket: "/inst/sock/pg.sock" })], "127.0.0.1", 5432),
    "forward: 127.0.0.1 5432 -> /inst/sock/pg.sock via 127.0.0.1:5432 (portForwards[0])",
  );
});

test("socketForwards: guestSocket rules, both directions; socket rules never match TCP listeners", () => {
  const rules = forwardingRules([
    pf({ guestSocket: "/run/user/1000/docker.sock", hostSocket: "/inst/sock/docker.sock" }),
    pf({ guestSocket: "/run/host-agent.sock", hostSocket: "/home/u/.ssh/agent.sock", reverse: true }),
    pf({ guestSocket: "/var/run/app.sock", hostPort: 2375 }),
    pf({ guestSocket: "/var/run/nothing.sock" }),
    pf({ guestSocket: "/var/run/ignored.sock", hostSocket: "/x", ignore: true }),
  ]);
  const { forwards, problems } = socketForwards(rules);
  assert.deepEqual(forwards, [
    { host: { socket: "/inst/sock/docker.sock" }, guest: { socket: "/run/user/1000/docker.sock" }, reverse: false, rule: "portForwards[0]" },
    { host: { socket: "/home/u/.ssh/agent.sock" }, guest: { socket: "/run/host-agent.sock" }, reverse: true, rule: "portForwards[1]" },
    { host: { ip: "127.0.0.1", port: 2375 }, guest: { socket: "/var/run/app.sock" }, reverse: false, rule: "portForwards[2]" },
  ]);
  assert.deepEqual(problems, ["portForwards[3]: guestSocket /var/run/nothing.sock needs a hostSocket or a hostPort; not forwarded"]);
  const d = decide(rules, { proto: "tcp", ip: "127.0.0.1", port: 2375 });
  assert.ok("forward" in d && d.forward.rule === "default rule");
});

test("works on what fillDefaults produces (relative hostSocket under <instance>/sock/)", () => {
  const host = { os: "Linux" as const, arch: "x86_64" as const, cpus: 2, memoryBytes: 4 * 2 ** 30, home: "/home/u", user: "u", uid: 1000, gid: 1000, tmpDir: "/tmp" };
  const { config } = fillDefaults(
    {
      images: [{ location: "https://example.com/x.img" }],
      portForwards: [{ guestPort: 8123, hostPort: 18123 }, { guestSocket: "/run/user/{{.UID}}/d.sock", hostSocket: "d.sock" }],
    },
    host,
    "pf",
    { instanceDir: "/home/u/.tslima/pf" },
  );
  const rules = forwardingRules(config.portForwards, 60022);
  assert.equal(outcome(config.portForwards, "::", 8123), "forward: :: 8123 -> 127.0.0.1:18123 via [::1]:8123 (portForwards[0])");
  assert.deepEqual(socketForwards(rules).forwards, [
    { host: { socket: "/home/u/.tslima/pf/sock/d.sock" }, guest: { socket: "/run/user/1000/d.sock" }, reverse: false, rule: "portForwards[1]" },
  ]);
});

test("LLMNR's 5355 is not forwarded by the default rule, but a user rule can forward it", () => {
  assert.equal(outcome([], "0.0.0.0", 5355), "ignore: 0.0.0.0 5355 (ignored by LLMNR port 5355 (systemd-resolved))");
  assert.equal(outcome([], "::", 5355), "ignore: :: 5355 (ignored by LLMNR port 5355 (systemd-resolved))");
  assert.equal(
    outcome([pf({ guestPort: 5355, hostPort: 15355 })], "127.0.0.1", 5355),
    "forward: 127.0.0.1 5355 -> 127.0.0.1:15355 via 127.0.0.1:5355 (portForwards[0])",
  );
});
