import { test } from "node:test";
import assert from "node:assert/strict";
import { attachDecision, attachSshPort, attachSteps, recovery, sshPortOf, type AttachFacts } from "../../../src/hostagent/attach-plan.js";
import { readinessSteps } from "../../../src/hostagent/readiness-plan.js";
import { planLaunch } from "../../../src/hostagent/launch-plan.js";
import type { MountPlan, PlannedMount } from "../../../src/mounts/types.js";
import { sampleConfig } from "../qemu/sample.js";

const owner = { name: "vm", dir: "/home/alice/.tslima/vm" };
const argv = (port: number, extra: string[] = []) => [
  "-machine", "q35,accel=tcg",
  "-m", "1024",
  "-netdev", `user,id=net0,hostfwd=tcp:127.0.0.1:${port}-:22`,
  "-pidfile", `${owner.dir}/qemu.pid`,
  ...extra,
];
const facts = (over: Partial<AttachFacts> = {}): AttachFacts => ({
  running: ["qemu-system-x86_64", ...argv(60022)],
  planned: { binary: "qemu-system-x86_64", argv: argv(60022) },
  owner,
  configuredPort: 0,
  identityPending: false,
  ...over,
});

test("sshPortOf and attachSshPort: the orphan's forwarded ssh port, unless lima.yaml fixes another", () => {
  assert.equal(sshPortOf(argv(60022)), 60022);
  assert.equal(sshPortOf(["-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:5000-:2222"]), undefined, "not the ssh port");
  assert.equal(attachSshPort(argv(60022), 0), 60022);
  assert.equal(attachSshPort(argv(60022), 60022), 60022);
  assert.equal(attachSshPort(argv(60022), 2222), undefined, "ssh.localPort asks for another: the start chooses as a boot does");
  assert.equal(attachSshPort(undefined, 0), undefined, "no orphan");
});

test("attachDecision adopts a QEMU running the machine a boot would run now, also one started to restore a state", () => {
  assert.deepEqual(attachDecision(facts()), { attach: { sshPort: 60022 } });
  assert.deepEqual(attachDecision(facts({ running: ["qemu-system-x86_64", ...argv(60022, ["-incoming", "defer"])] })), { attach: { sshPort: 60022 } });
  assert.deepEqual(attachDecision(facts({ configuredPort: 60022 })), { attach: { sshPort: 60022 } });
});

test("attachDecision refuses (the start powers it off and boots) an edited machine, another binary, another ssh port, a pending identity", () => {
  const edited = attachDecision(facts({ planned: { binary: "qemu-system-x86_64", argv: argv(60022).map((a) => (a === "1024" ? "2048" : a)) } }));
  assert.ok("reason" in edited && /differs/.test(edited.reason) && edited.reason.includes('running "1024", now "2048"'), JSON.stringify(edited));
  const longer = attachDecision(facts({ planned: { binary: "qemu-system-x86_64", argv: argv(60022, ["-smp", "2"]) } }));
  assert.ok("reason" in longer && longer.reason.includes('running "(end)", now "-smp"'), JSON.stringify(longer));
  const binary = attachDecision(facts({ planned: { binary: "/opt/qemu/bin/qemu-system-x86_64", argv: argv(60022) } }));
  assert.ok("reason" in binary && binary.reason.includes("/opt/qemu/bin/qemu-system-x86_64"));
  const port = attachDecision(facts({ configuredPort: 2222 }));
  assert.ok("reason" in port && port.reason.includes("ssh.localPort 2222"));
  assert.ok("reason" in attachDecision(facts({ running: ["qemu-system-x86_64", "-m", "1024"] })), "no ssh forward");
  assert.ok("reason" in attachDecision(facts({ identityPending: true })));
});

test("recovery: a save in progress is cancelled, a paused VM continued, a loading or dead one not adopted", () => {
  assert.deepEqual(recovery({ status: "running" }), { actions: [] });
  assert.deepEqual(recovery({ status: "running", migration: "completed" }), { actions: [] });
  assert.deepEqual(recovery({ status: "running", migration: "active" }), { actions: ["cancel-migration"] });
  assert.deepEqual(recovery({ status: "finish-migrate", migration: "device" }), { actions: ["cancel-migration", "cont"] });
  assert.deepEqual(recovery({ status: "postmigrate", migration: "completed" }), { actions: ["cont"] });
  assert.deepEqual(recovery({ status: "paused", migration: "cancelled" }), { actions: ["cont"] });
  assert.ok("reason" in recovery({ status: "inmigrate" }));
  const dead = recovery({ status: "shutdown" });
  assert.ok("reason" in dead && dead.reason.includes("shutdown"));
});

const mount = (mountPoint: string, kind: "9p" | "reverse-sshfs"): PlannedMount =>
  ({
    type: kind,
    expect: { mountPoint, fstype: kind === "9p" ? "9p" : "fuse.sshfs", options: [] },
    ...(kind === "9p" ? { fstab: ["tag", mountPoint, "9p", "rw", "0", "0"] } : { sshfs: { target: { location: `/host${mountPoint}`, mountPoint, options: "" }, hostCommand: [], guestCommand: "" } }),
  }) as unknown as PlannedMount;

test("attachSteps: a boot's steps with the clock, the fstab remount and the sshfs helper before the mounts are connected and checked", () => {
  const plan: MountPlan = { qemuArgs: [], mounts: [mount("/mnt/a", "9p"), mount("/mnt/s", "reverse-sshfs")] };
  const config = sampleConfig({ provision: [{ mode: "system", script: "true" }] as never });
  const boot = readinessSteps(config, plan);
  assert.deepEqual(boot.map((s) => s.kind), ["ssh", "ready-file", "host-resolver", "provision-report", "reverse-sshfs", "mounts", "sync"]);
  const steps = attachSteps(boot, plan, "lima-vm");
  assert.deepEqual(steps.map((s) => s.kind), ["ssh", "ready-file", "host-resolver", "provision-report", "clock", "remount", "sshfs-helper", "reverse-sshfs", "mounts", "sync"]);
  assert.equal(steps[0], boot[0], "the boot's own ssh step: the guest may still be booting");
  assert.equal(steps.find((s) => s.kind === "remount")?.fatal, false, "remounting needs sudo -n; the mounts step decides");
  assert.equal(steps.find((s) => s.kind === "mounts")?.fatal, true);
  const none = attachSteps(readinessSteps(sampleConfig(), { qemuArgs: [], mounts: [] }), { qemuArgs: [], mounts: [] }, "lima-vm");
  assert.deepEqual(none.map((s) => s.kind), ["ssh", "ready-file", "host-resolver", "clock", "sync"]);
});

test("planLaunch: an orphan that may be adopted is the attach variant (no cidata, the boot as fallback); one refused is powered off before the boot or resume", () => {
  const plan: MountPlan = { qemuArgs: [], mounts: [] };
  const readiness = readinessSteps(sampleConfig(), plan);
  const inputs = { argv: argv(60022), qemu: { binary: "qemu-system-x86_64", version: "7.2.0" }, readiness, mounts: plan, hostname: "lima-vm", cidata: "sha256:new", readyCidata: "sha256:old" };
  assert.equal(planLaunch(inputs, undefined, owner).variant, "boot", "no orphan: a boot");
  const orphan = { pid: 4242, cmdline: ["qemu-system-x86_64", ...argv(60022)] };
  const attach = planLaunch(inputs, undefined, owner, { orphan, configuredPort: 0 });
  assert.equal(attach.variant, "attach");
  if (attach.variant !== "attach") return;
  assert.deepEqual([attach.pid, attach.readyCidata, attach.fallback.variant, attach.fallback.readyCidata], [4242, "sha256:old", "boot", "sha256:new"], "the running guest saw the old cidata");
  assert.deepEqual(attach.readiness.map((s) => s.kind), ["ssh", "ready-file", "host-resolver", "clock", "sync"]);
  const edited = planLaunch({ ...inputs, argv: argv(60022, ["-smp", "2"]) }, undefined, owner, { orphan, configuredPort: 0 });
  assert.equal(edited.variant, "boot");
  assert.ok(edited.variant === "boot" && edited.powerOff?.pid === 4242 && edited.powerOff.reason.includes("differs"), JSON.stringify(edited));
  const unread = planLaunch(inputs, undefined, owner, { orphan: { pid: 4242, cmdline: undefined }, configuredPort: 0 });
  assert.ok(unread.variant !== "attach" && unread.powerOff?.reason === "its command line cannot be read");
});
