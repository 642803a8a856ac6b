/**
 * The record of a booted snapshot (`_snapshots/NAME/snapshot.json`), as data: which instance it
 * was taken from, with which QEMU and virtual hardware, and what its files hold. Pure: reading and
 * validating. The record is written last (see store/snapshot.ts): a directory without a valid one
 * is no snapshot.
 */

import { savedStateFields } from "./suspend-record.js";

export const SNAPSHOT_RECORD_VERSION = 1;

export interface SnapshotRecord {
  version: typeof SNAPSHOT_RECORD_VERSION;
  name: string;
  /** The instance it was taken from. */
  source: string;
  /** When (ISO 8601). */
  createdAt: string;
  /** The QEMU that saved the state (an instance made from it needs the same build). */
  qemu: { binary: string; version: string };
  /** hardwareArgv() of the source's command line: the machine every instance made from it runs. */
  argv: string[];
  /** Bytes of `vmstate`. */
  stateBytes: number;
  /** Format of `basedisk` (the backing file of `disk`). */
  baseFormat: "qcow2" | "raw";
  /** Direct kernel boot files present in the snapshot (`kernel`, `initrd`) and the command line. */
  kernel: boolean;
  initrd: boolean;
  cmdline?: string;
  /** The image location the source was made from (images[].location). */
  location: string;
  /** Whether `efi-vars.fd` is part of it (a UEFI boot). */
  efiVars: boolean;
  /** The public ssh user key the guest authorizes (TSLIMA_HOME/_config/user.pub of the source). */
  userKey: string;
  /** The guest's hostname when it was taken (lima-SOURCE): an instance made from it gets its own. */
  hostname: string;
  /**
   * The source's host resolver port (hostagent/guest-net.ts), which its guest's resolver is pointed
   * at: an instance made from it listens there when the port is free, and its first resume need not
   * restart the guest's resolver (issue 30). Absent when the source ran none.
   */
  hostResolverPort?: number;
}

const isString = (v: unknown): v is string => typeof v === "string";

/** A TCP/UDP port number, 1-65535. Pure. */
export const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

/** Reads snapshot.json's text: the record, or what is wrong with it. */
export function parseSnapshotRecord(text: string): { record: SnapshotRecord } | { problem: string } {
  const read = savedStateFields(text, SNAPSHOT_RECORD_VERSION, "createdAt");
  if ("problem" in read) return read;
  const { o } = read;
  for (const k of ["name", "source", "location", "userKey", "hostname"] as const) {
    if (!isString(o[k]) || o[k] === "") return { problem: `${k} is not a string` };
  }
  if (o.baseFormat !== "qcow2" && o.baseFormat !== "raw") return { problem: "baseFormat is not qcow2 or raw" };
  for (const k of ["kernel", "initrd", "efiVars"] as const) if (typeof o[k] !== "boolean") return { problem: `${k} is not true or false` };
  if (o.cmdline !== undefined && !isString(o.cmdline)) return { problem: "cmdline is not a string" };
  if (o.hostResolverPort !== undefined && !isPort(o.hostResolverPort)) return { problem: "hostResolverPort is not a port number" };
  return { record: o as unknown as SnapshotRecord };
}

/** The top-level lima.yaml fields an instance made from a snapshot may set otherwise: host-side only. */
export const CLONE_HOST_FIELDS = ["portForwards", "message"] as const;
