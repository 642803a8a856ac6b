import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialFailure, serialFailureHint } from "../../../src/hostagent/serial-failures.js";
import { SerialWatch } from "../../../src/hostagent/serial-watch.js";
import { isTslimaError } from "../../../src/errors.js";

// Debian 12's console as systemd 252 writes it to ttyS0: colours, carriage returns.
const BOOT = [
  "[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
  "[    2.913371] EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.",
  "\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mlocal-fs.target\x1b[0m - Local File Systems.\r",
  "\x1b[0;32m  OK  \x1b[0m] Finished \x1b[0;1;39mtslima-check.service\x1b[0m - tslima: repair what cloud-init wrote.\r",
].join("\n");
const SSHD_FAILED = [
  "         Starting \x1b[0;1;39mssh.service\x1b[0m - OpenBSD Secure Shell server...\r",
  "[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mssh.service\x1b[0m - OpenBSD Secure Shell server.\r",
  "See 'systemctl status ssh.service' for details.\r",
].join("\n");
const SSHD_STARTED = "\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mssh.service\x1b[0m - OpenBSD Secure Shell server.\r";

test("a healthy boot is no failure", () => {
  assert.equal(serialFailure(`${BOOT}\n${SSHD_STARTED}\n`), undefined);
  assert.equal(serialFailure(""), undefined);
});

test("sshd failing to start is found with systemd's lines, without colours", () => {
  const f = serialFailure(`${BOOT}\n${SSHD_FAILED}\n`);
  assert.equal(f?.code, "GUEST_SSHD_FAILED");
  assert.deepEqual(f?.lines, ["[FAILED] Failed to start ssh.service - OpenBSD Secure Shell server.", "See 'systemctl status ssh.service' for details."]);
  // a status line longer than the console is shortened in its middle, here cutting a colour's ESC off (as seen)
  const shortened = "[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mssh.servic…[0m - OpenBSD Secure Shell server.\r\r\n";
  assert.deepEqual(serialFailure(shortened)?.lines, ["[FAILED] Failed to start ssh.servic… - OpenBSD Secure Shell server."]);
  // an older systemd names the description only
  assert.equal(serialFailure("[FAILED] Failed to start OpenBSD Secure Shell server.\n")?.code, "GUEST_SSHD_FAILED");
  assert.match(serialFailureHint("GUEST_SSHD_FAILED", "vm"), /tslima factory-reset vm/);
});

test("a failure systemd's restart then undid is no failure; one after a success is", () => {
  assert.equal(serialFailure(`${SSHD_FAILED}\n${SSHD_STARTED}\n`), undefined);
  assert.equal(serialFailure(`${SSHD_STARTED}\n${SSHD_FAILED}\n`)?.code, "GUEST_SSHD_FAILED");
});

test("emergency shells, kernel panics and a manual fsck are found", () => {
  const emergency = [
    "You are in emergency mode. After logging in, type \"journalctl -xb\" to view\r",
    "system logs, \"systemctl reboot\" to reboot, \"systemctl default\" or \"exit\"\r",
    "Cannot open access to console, the root account is locked.\r",
  ].join("\n");
  assert.equal(serialFailure(emergency)?.code, "GUEST_EMERGENCY");
  assert.equal(serialFailure("Give root password for maintenance\n(or press Control-D to continue): ")?.code, "GUEST_EMERGENCY");
  assert.equal(serialFailure("ALERT!  UUID=0b8c does not exist.  Dropping to a shell!\n")?.code, "GUEST_EMERGENCY");
  const panic = "[    3.118830] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n[    3.119270] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-28-amd64 #1\n";
  const p = serialFailure(panic);
  assert.equal(p?.code, "GUEST_KERNEL_PANIC");
  assert.match(p?.lines[0] ?? "", /Unable to mount root fs/);
  const fsck = "/dev/vda1: UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY.\n\t(i.e., without -a or -p options)\nfsck exited with status code 4\n";
  const f = serialFailure(fsck);
  assert.equal(f?.code, "GUEST_FSCK");
  assert.deepEqual(f?.lines, ["/dev/vda1: UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY.", "(i.e., without -a or -p options)"]);
  // the panic that follows a failed sshd is what counts
  assert.equal(serialFailure(`${SSHD_FAILED}\n${panic}`)?.code, "GUEST_KERNEL_PANIC");
});

test("SerialWatch follows serial.log: a panic throws at once, sshd's failure once it stood 3 s", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-serial-"));
  try {
    const log = join(dir, "serial.log");
    let now = 1000;
    const w = new SerialWatch(log, "vm", () => now);
    w.check(); // no file yet
    writeFileSync(log, `${BOOT}\n`);
    w.check();
    appendFileSync(log, SSHD_FAILED.slice(0, 40));
    w.check();
    appendFileSync(log, `${SSHD_FAILED.slice(40)}\n`);
    w.check(); // first seen: systemd may restart it
    now += 3000;
    assert.throws(() => w.check(), (e: unknown) => isTslimaError(e) && e.kind === "GUEST_SSHD_FAILED" && /Failed to start ssh\.service/.test(e.message) && /factory-reset vm/.test(e.hint ?? ""));
    const w2 = new SerialWatch(log, "vm", () => now);
    w2.check();
    appendFileSync(log, `${SSHD_STARTED}\n`);
    now += 5000;
    w2.check(); // restarted with success
    appendFileSync(log, "[   60.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n");
    assert.throws(() => w2.check(), (e: unknown) => isTslimaError(e) && e.kind === "GUEST_KERNEL_PANIC");
    // the next QEMU run truncates the file: what the last run said no longer counts
    writeFileSync(log, `${BOOT}\n`);
    w2.check();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
