/**
 * What the guest's serial console says about a boot that cannot succeed (issue 31): the host agent
 * reads serial.log while it waits for ssh and the ready file, and a boot whose sshd failed to start,
 * that sits in an emergency shell, whose kernel panicked, or whose file system needs a manual fsck is
 * reported at once, with the console's lines, instead of after the start's timeout. Pure.
 */
import type { ErrorCode } from "../errors.js";

export interface SerialFailure {
  code: Extract<ErrorCode, "GUEST_SSHD_FAILED" | "GUEST_EMERGENCY" | "GUEST_KERNEL_PANIC" | "GUEST_FSCK">;
  /** One line: what happened in the guest. */
  what: string;
  /** The console's lines that say so (at most a few, ANSI colours removed). */
  lines: string[];
}

interface Pattern {
  code: SerialFailure["code"];
  what: string;
  match: RegExp;
  /** A later line matching this undoes the failure (systemd restarted the unit with success). */
  cleared?: RegExp;
}

/** Longest first: the first pattern with a (standing) match wins. */
const PATTERNS: Pattern[] = [
  { code: "GUEST_KERNEL_PANIC", what: "the guest's kernel panicked", match: /Kernel panic - not syncing/ },
  {
    code: "GUEST_FSCK",
    what: "the guest's file system needs a manual fsck",
    match: /UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY|requires a manual fsck/,
  },
  {
    code: "GUEST_EMERGENCY",
    what: "the guest stopped in an emergency shell",
    match: /You are in emergency mode|Give root password for maintenance|Cannot open access to console, the root account is locked|Dropping to a shell!/,
  },
  {
    code: "GUEST_SSHD_FAILED",
    what: "the guest's ssh server failed to start",
    // systemd shortens a status line to the console's width in its middle ("ssh.serv…"): the start is kept
    match: /Failed to start (ssh|sshd)\.serv|Failed to start OpenBSD Secure Shell server/,
    cleared: /Started (ssh|sshd)\.serv|Started OpenBSD Secure Shell server/,
  },
];

// CSI sequences (colours; systemd's shortening of a line may cut the ESC off one) and a console's carriage returns
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\[[0-9;]*m|\r/g;

/** The console text as lines, without colours. */
export function consoleLines(text: string): string[] {
  return text.replace(ANSI, "").split("\n");
}

/** The first failure that `text` (serial.log of this boot) shows and no later line undoes; undefined when none. */
export function serialFailure(text: string): SerialFailure | undefined {
  const lines = consoleLines(text);
  for (const p of PATTERNS) {
    let last = -1;
    lines.forEach((l, i) => {
      if (p.match.test(l)) last = i;
      else if (p.cleared?.test(l) === true) last = -1;
    });
    if (last < 0) continue;
    const matched = lines.filter((l) => p.match.test(l)).map((l) => l.trim());
    // the last few matching lines, and the one after the last (systemd's "See 'systemctl status ...'", fsck's "(i.e., without -a or -p options)")
    const after = lines[last + 1]?.trim();
    return { code: p.code, what: p.what, lines: [...matched.slice(-3), ...(after ? [after] : [])] };
  }
  return undefined;
}

/** What the user does about it (NAME: the instance). Pure. */
export function serialFailureHint(code: SerialFailure["code"], name: string): string {
  const reset = `\`tslima factory-reset ${name}\` makes the disk anew (the guest's files are lost)`;
  switch (code) {
    case "GUEST_SSHD_FAILED":
      return `the guest's host key or ssh configuration is damaged (e.g. by a crash right after a boot); every boot repairs what cloud-init wrote from the cidata before sshd starts (tslima-check.service), and this one could not: ${reset}`;
    case "GUEST_EMERGENCY":
      return `the root file system or an /etc/fstab entry could not be mounted (the lines above say which); ${reset}`;
    case "GUEST_KERNEL_PANIC":
      return "a kernel or initrd that does not fit the image (images: in lima.yaml), or too little memory (memory:), are the usual causes; see serial.log";
    case "GUEST_FSCK":
      return `the guest's disk is damaged (a crash, or the host's disk ran full): repair it with fsck on the host (qemu-nbd --connect the instance's diffdisk), or ${reset}`;
  }
}
