import { test } from "node:test";
import assert from "node:assert/strict";
import { describeForward, desiredForwards, diffForwards, forwardKey, sshForwardArgs } from "../../../src/portfwd/plan.js";
import { forwardingRules } from "../../../src/portfwd/rules.js";
import { formatPortForwardState } from "../../../src/portfwd/statefile.js";
import type { Forward, Listener } from "../../../src/portfwd/types.js";

const tcp = (ip: string, port: number): Listener => ({ proto: "tcp", ip, port });
const fwd = (hostPort: number, guestIP: string, guestPort: number, rule = "default rule"): Forward => ({
  host: { ip: "127.0.0.1", port: hostPort },
  guest: { ip: guestIP, port: guestPort },
  reverse: false,
  rule,
});

test("sshForwardArgs: -L HOST:GUEST, -R GUEST:HOST, IPv6 in brackets, sockets as paths", () => {
  assert.deepEqual(sshForwardArgs(fwd(8080, "127.0.0.1", 80)), { args: ["-L", "127.0.0.1:8080:127.0.0.1:80"] });
  assert.deepEqual(sshForwardArgs(fwd(8123, "::1", 8123)), { args: ["-L", "127.0.0.1:8123:[::1]:8123"] });
  assert.deepEqual(sshForwardArgs({ host: { ip: "::1", port: 9 }, guest: { ip: "127.0.0.1", port: 9 }, reverse: false, rule: "r" }), { args: ["-L", "[::1]:9:127.0.0.1:9"] });
  const sock: Forward = { host: { socket: "/h/d.sock" }, guest: { socket: "/run/d.sock" }, reverse: false, rule: "r" };
  assert.deepEqual(sshForwardArgs(sock), { args: ["-L", "/h/d.sock:/run/d.sock"] });
  assert.deepEqual(sshForwardArgs({ ...sock, reverse: true }), { args: ["-R", "/run/d.sock:/h/d.sock"] });
  assert.deepEqual(sshForwardArgs({ host: { ip: "127.0.0.1", port: 2375 }, guest: { socket: "/run/d.sock" }, reverse: false, rule: "r" }), { args: ["-L", "127.0.0.1:2375:/run/d.sock"] });
  const bad = sshForwardArgs({ ...sock, host: { socket: "/h/a:b.sock" } });
  assert.ok("problem" in bad && bad.problem.includes("/h/a:b.sock"));
});

test("describeForward names both sides and the rule", () => {
  assert.equal(describeForward(fwd(8080, "127.0.0.1", 80, "portForwards[0]")), "guest 127.0.0.1:80 -> host 127.0.0.1:8080 (portForwards[0])");
  assert.equal(describeForward({ host: { socket: "/h.sock" }, guest: { socket: "/g.sock" }, reverse: true, rule: "portForwards[1]" }), "host /h.sock -> guest /g.sock (portForwards[1])");
});

test("desiredForwards: one forward per host address, IPv4 listener first; skipped ones say why", () => {
  const rules = forwardingRules([], 60022);
  const d = desiredForwards([tcp("::1", 3000), tcp("127.0.0.1", 3000), tcp("0.0.0.0", 22), tcp("10.0.2.15", 5000), tcp("::", 8123)], rules);
  assert.deepEqual(d.forwards.map(forwardKey), ["L 127.0.0.1:3000 127.0.0.1:3000", "L 127.0.0.1:8123 [::1]:8123"]);
  assert.deepEqual(
    d.skipped.map((s) => `${s.listener.ip} ${s.listener.port}: ${s.reason}`),
    ["0.0.0.0 22: ignored by ssh port 22", "10.0.2.15 5000: no rule matches", "::1 3000: host 127.0.0.1:3000 already serves guest 127.0.0.1:3000"],
  );
});

test("diffForwards: cancels what is no longer wanted, adds what is new, keeps the rest", () => {
  const a = fwd(1, "127.0.0.1", 1);
  const b = fwd(2, "127.0.0.1", 2);
  const c = fwd(3, "127.0.0.1", 3);
  const retargeted = fwd(1, "::1", 1);
  assert.deepEqual(diffForwards([a, b], [b, c]), { cancel: [a], add: [c] });
  assert.deepEqual(diffForwards([a], [retargeted]), { cancel: [a], add: [retargeted] });
  assert.deepEqual(diffForwards([], []), { cancel: [], add: [] });
});

test("portfwd.json lists the active forwards", () => {
  assert.equal(
    formatPortForwardState([fwd(8123, "::1", 8123), { host: { socket: "/i/sock/d.sock" }, guest: { socket: "/run/d.sock" }, reverse: false, rule: "portForwards[0]" }]),
    `${JSON.stringify({
      forwards: [
        { guest: "[::1]:8123", host: "127.0.0.1:8123", reverse: false, rule: "default rule" },
        { guest: "/run/d.sock", host: "/i/sock/d.sock", reverse: false, rule: "portForwards[0]" },
      ],
    })}\n`,
  );
});
