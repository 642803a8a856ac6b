/** `tslima doctor mounts`: what the executor gathers (MountFacts), the checks, and the report. Pure. */
import type { InotifyStats } from "../inotify-status.js";
import type { Mount, MountType } from "../../config/types.js";
import type { ProbeOutput, QemuFsdev } from "./parse.js";
import { CHOWN_TO } from "./probes.js";

/** What the host saw in one role's directory after the guest probe (gathered by the executor). */
export interface HostView {
  /** Content of gw.txt (trimmed), or undefined when missing. */
  write?: string;
  /** own: "uid:gid" */
  owner?: string;
  /** own: user.virtfs.* xattrs as "uid=1234,gid=2345,mode=100644" ("" none; undefined = could not read) */
  virtfsXattrs?: string;
  /** own: .virtfs_metadata/own contents, one line joined by "," */
  virtfsMetadata?: string;
  /** gl: "symlink -> T" or "file: CONTENT" or "other" */
  symlink?: string;
  /** f: link count */
  nlink?: number;
  /** rb content */
  renamed?: string;
  /** m: mode (octal string, permission bits) */
  mode?: string;
  /** t: "size mtime" */
  mtime?: string;
  /** x: value of user.tslima (undefined: not there or not readable) */
  xattr?: string;
  /** mm: first 7 bytes */
  mmap?: string;
  /** sp: "size blocks512" */
  sparse?: string;
}

export type Status = "ok" | "fail" | "not-tested" | "n/a";

export interface Check {
  status: Status;
  /** What was seen (guest and host); for "not-tested", why. */
  detail: string;
}

/** The properties, in table order (also the JSON `checks` keys). */
export const CHECKS = [
  "write",
  "chown",
  "chownRemount",
  "symlinkGuest",
  "symlinkHost",
  "hardlink",
  "rename",
  "mode",
  "xattr",
  "mtimeSize",
  "flock",
  "fcntlLock",
  "mmapShared",
  "unixSocket",
  "fsync",
  "oDirect",
  "sparse",
  "caseSensitive",
  "readOnly",
] as const;
export type CheckName = (typeof CHECKS)[number];

/** One line per check, what it means (the README's JSON field list). */
export const CHECK_MEANING: Record<CheckName, string> = {
  write: "files written in the guest appear on the host and the other way round",
  chown: `root in the guest chowns a file to ${CHOWN_TO} and the guest keeps it (detail: what the host has)`,
  chownRemount: "the chown is still there after the guest unmounts and mounts again",
  symlinkGuest: "a symlink made in the guest is a symlink on the host",
  symlinkHost: "a symlink made on the host can be followed in the guest",
  hardlink: "ln works in the guest and the host sees a link count of 2 (detail: the guest's count; sshfs shows 1)",
  rename: "mv over an existing file",
  mode: "chmod 750 in the guest is seen on the host; the host's 755 (exec bit) is seen in the guest",
  xattr: "a user.* extended attribute set in the guest reads back (detail: whether the host has it)",
  mtimeSize: "size and mtime set on either side are seen on the other",
  flock: "flock(1) takes an exclusive lock",
  fcntlLock: "an fcntl (POSIX) lock is taken",
  mmapShared: "a write through a shared mmap reaches the file (and the host)",
  unixSocket: "a unix socket can be created and connected to",
  fsync: "fsync of a file succeeds",
  oDirect: "a write with O_DIRECT (dd oflag=direct) succeeds",
  sparse: "a 64 MiB file made with truncate in the guest stays sparse on the host",
  caseSensitive: "Case and case are two files",
  readOnly: "read-only mounts refuse a write",
};

export interface MountFacts {
  mount: Mount;
  type: MountType;
  /** The guest's /proc/mounts text. */
  procMounts: string;
  /** The 9p device QEMU really runs for this mount, when known. */
  qemu?: QemuFsdev;
  /** Probe output per role (absent: that role could not run, with why in `roleErrors`). */
  root?: ProbeOutput;
  user?: ProbeOutput;
  roleErrors?: { root?: string; user?: string };
  /** Host views of each role's directory. */
  hostRoot?: HostView;
  hostUser?: HostView;
  /** Remount probe output (root), or why it was not run. */
  remount?: ProbeOutput;
  remountSkipped?: string;
  /** Read-only mounts: GUEST_READONLY_SCRIPT output. */
  readOnly?: ProbeOutput;
  /** The guest user's name. */
  userName?: string;
}

export interface MountReport {
  location: string;
  mountPoint: string;
  type: MountType;
  writable: boolean;
  /** The options configured in lima.yaml for this mount type. */
  configured: Record<string, string | number | boolean>;
  /** As the guest mounted it (/proc/mounts), or null when it is not mounted. */
  guest: { fstype: string; options: string[] } | null;
  /** 9p: QEMU's side (-fsdev), or null. */
  qemu: { securityModel: string; readonly: boolean } | null;
  checks: Record<CheckName, Check>;
  /** One line per failing check: what fails, why, and which option changes it. */
  problems: string[];
  /** With --raw: what the verdicts were made from. */
  raw?: MountFacts;
}

export interface DoctorReport {
  instance: string;
  mounts: MountReport[];
  /** `mountInotify`: whether it is on, the host agent's counters while it runs (else null), and the line printed. */
  inotify: { enabled: boolean; stats: InotifyStats | null; summary: string };
}
