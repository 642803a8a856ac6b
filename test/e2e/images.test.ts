/**
 * End to end: build (or reuse from ~/.cache/tslima) the local Debian 12 guest exactly as CI does
 * (scripts/build-test-guest), then boot it under QEMU TCG twice, with no cidata (this checks the
 * image alone). By direct kernel boot of the image's kernel, initrd and command line until the
 * serial console shows systemd started from the image's root file system (the initrd mounted the
 * root, then systemd, which the initrd does not hold, greets with the root's os-release); the rest
 * of that boot is what every other end-to-end file does through tslima. Through UEFI firmware (OVMF)
 * from the disk's own partition table until sshd answers with its banner on the forwarded port
 * (host keys, network, sshd).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { findFreePort } from "../../src/qemu/index.js";
import { readBanner } from "../../src/ssh/index.js";
import { localGuestBuild, type LocalGuest } from "./harness.js";
import { systemdFromRoot } from "./serial-facts.js";

const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

let guest: LocalGuest | undefined;

async function stopQemu(q: ChildProcess): Promise<void> {
  if (q.exitCode !== null || q.signalCode !== null) return;
  const exited = new Promise((r) => q.once("exit", r));
  q.kill("SIGTERM");
  if ((await Promise.race([exited, sleep(5000, "timeout")])) === "timeout") {
    q.kill("SIGKILL");
    await exited;
  }
}

/**
 * Boots the image under QEMU until it is far enough: `direct` (the image's kernel and initrd) until
 * the serial log shows systemd running from the image's root (systemdFromRoot), `uefi` until sshd
 * answers on the forwarded port.
 */
async function bootUntil(mode: "direct" | "uefi", g: LocalGuest, timeoutMs: number): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), `tslima-e2e-images-${mode}-`));
  const overlay = join(work, "disk.qcow2");
  const serial = join(work, "serial.log");
  const ov = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", g.disk, overlay, "10G"], {
    encoding: "utf8",
  });
  assert.equal(ov.status, 0, ov.stderr);
  const port = await findFreePort();
  const args = [
    "-accel", "tcg", "-machine", "q35", "-m", "1024", "-smp", "1",
    "-nographic", "-monitor", "none", "-serial", `file:${serial}`,
    "-drive", `file=${overlay},if=virtio,format=qcow2`,
    "-netdev", `user,id=net0,hostfwd=tcp:127.0.0.1:${port}-:22`, "-device", "virtio-net-pci,netdev=net0",
  ];
  if (mode === "direct") {
    args.push("-kernel", g.kernel, "-initrd", g.initrd, "-append", g.cmdline);
  } else {
    const vars = join(work, "efi-vars.fd");
    copyFileSync(OVMF_VARS, vars);
    args.push(
      "-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
      "-drive", `if=pflash,format=raw,unit=1,file=${vars}`,
    );
  }
  const started = Date.now();
  const qemu = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  qemu.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const readSerial = () => {
    try {
      return readFileSync(serial, "utf8");
    } catch {
      return "";
    }
  };
  const serialTail = () => readSerial().split("\n").slice(-30).join("\n") || "(no serial log)";
  try {
    for (;;) {
      if (qemu.exitCode !== null || qemu.signalCode !== null) {
        assert.fail(`qemu exited early (${qemu.exitCode ?? qemu.signalCode}): ${stderr}\nserial:\n${serialTail()}`);
      }
      if (Date.now() - started > timeoutMs) {
        const wanted = mode === "direct" ? "systemd's greeting from the image's root on the serial console" : `an SSH banner on 127.0.0.1:${port}`;
        assert.fail(`no ${wanted} after ${timeoutMs / 1000} s (${mode}); serial:\n${serialTail()}`);
      }
      if (mode === "direct") {
        if (systemdFromRoot(readSerial())) {
          const seconds = (Date.now() - started) / 1000;
          console.log(`direct boot: systemd runs from the image's root after ${seconds.toFixed(1)} s`);
          return seconds;
        }
        await sleep(1000);
        continue;
      }
      const line = (await readBanner(port, 5000)) ?? "";
      if (line.startsWith("SSH-2.0-OpenSSH")) {
        const seconds = (Date.now() - started) / 1000;
        console.log(`${mode} boot: "${line}" after ${seconds.toFixed(1)} s`);
        return seconds;
      }
      await sleep(2000);
    }
  } finally {
    await stopQemu(qemu);
    rmSync(work, { recursive: true, force: true });
  }
}

test("the local guest builds (or comes from the cache)", { timeout: 60 * 60 * 1000 }, () => {
  const started = Date.now();
  guest = localGuestBuild();
  console.log(
    `guest ${guest.dir}: build took ${guest.buildSeconds} s when it ran; this step took ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const f of [guest.disk, guest.kernel, guest.initrd]) assert.ok(statSync(f).size > 1024 * 1024, `${f} is there`);
  assert.match(guest.cmdline, /root=LABEL=/);
});

test("the guest's kernel and initrd, booted directly, mount its root and start systemd from it", { timeout: 10 * 60 * 1000 }, async () => {
  assert.ok(guest, "the build step ran");
  await bootUntil("direct", guest, 8 * 60 * 1000);
});

test("the guest boots through UEFI firmware from its own partition table until sshd answers", { timeout: 15 * 60 * 1000 }, async () => {
  assert.ok(guest, "the build step ran");
  await bootUntil("uefi", guest, 12 * 60 * 1000);
});
