/**
 * The instance an MCP server works in, and the one SFTP connection its file tools share (Lima keeps
 * one too). The SandboxHolder hands the current sandbox to each tool call (calls run side by side)
 * and lets a reset (undo.ts) replace it: a reset waits for the calls in flight and holds new ones
 * back until the new instance is ready.
 */
import { SftpClient } from "../ssh/sftp.js";
import { instancePaths } from "../store/paths.js";
import { sshHostAlias } from "../ssh/config.js";
import { loadInstanceConfig } from "../instance/inventory.js";
import type { PathContext, SharedDir } from "./paths.js";

export interface Sandbox {
  name: string;
  home: string;
  paths: PathContext;
  sftp: SftpClient;
}

/** The instance's mounts as the tools translate paths with them. */
export function sharedDirs(home: string, name: string): SharedDir[] {
  const config = loadInstanceConfig(home, instancePaths(home, name));
  return config.mounts.map((m) => ({ location: m.location, mountPoint: m.mountPoint, writable: m.writable }));
}

/**
 * An SFTP session with the instance (`ssh -s sftp`), on a connection of its own rather than the
 * instance's ssh ControlMaster, which the host agent restarts (snapshots, remounts).
 */
export function openSftp(home: string, name: string): Promise<SftpClient> {
  const p = instancePaths(home, name);
  return SftpClient.open(["ssh", "-F", p.sshConfig, "-o", "ControlMaster=no", "-o", "ControlPath=none", "-T", sshHostAlias(name), "-s", "sftp"]);
}

/** Opens the sandbox of a running instance: its mounts and an SFTP session. */
export async function openSandbox(home: string, name: string, project: string): Promise<Sandbox> {
  return { name, home, sftp: await openSftp(home, name), paths: { instance: name, mounts: sharedDirs(home, name), project } };
}

/** The current sandbox, shared by concurrent tool calls and replaced by a reset. */
export class SandboxHolder {
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private replacing: Promise<void> | undefined;

  /** No sandbox: tool calls fail (a server that only lists its tools, `mcp info`). */
  constructor(private current?: Sandbox) {}

  get sandbox(): Sandbox {
    if (this.current === undefined) throw new Error("instance not registered");
    return this.current;
  }

  /**
   * Runs a tool call with the sandbox (after a reset in progress has finished), on a new SFTP
   * session when the last one ended (the guest's sshd restarted, the connection dropped).
   */
  async use<T>(fn: (s: Sandbox) => Promise<T>): Promise<T> {
    while (this.replacing) await this.replacing;
    if (!this.sandbox.sftp.alive) {
      await this.replace(async (old) => (old.sftp.alive ? old : { ...old, sftp: await openSftp(old.home, old.name) }));
    }
    this.inFlight++;
    try {
      return await fn(this.sandbox);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** Replaces the sandbox: waits for the calls in flight, then `make(old)` gives the new one. */
  async replace(make: (old: Sandbox) => Promise<Sandbox>): Promise<Sandbox> {
    while (this.replacing) await this.replacing;
    let done!: () => void;
    this.replacing = new Promise((r) => (done = r));
    try {
      if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
      this.drained = undefined;
      this.current = await make(this.sandbox);
      return this.current;
    } finally {
      this.replacing = undefined;
      done();
    }
  }
}
