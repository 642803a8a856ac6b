import "./dispose-symbol.js";
import { existsSync } from "node:fs";
import type { AgentEvent } from "../store/events.js";
import { instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { inspectStatus, type InstanceStatus } from "../store/status.js";
import { copy } from "./copy.js";
import { createInstance, type CreateOptions } from "./create.js";
import { deleteInstance } from "./delete.js";
import { describeInstance, listInstances, type InstanceInfo } from "./inventory.js";
import { requireInstance } from "./lookup.js";
import { exec, shell, type ExecOptions, type ExecResult } from "./shell.js";
import { startInstance, type StartOptions } from "./start.js";
import { forceStop, stopInstance } from "./stop.js";
import { suspendInstance } from "./suspend.js";
import { createSnapshot, validateSnapshotName } from "./snapshot.js";
import { createFromSnapshot, type FromSnapshotOptions } from "./from-snapshot.js";
import type { Snapshot } from "../store/snapshot.js";
import { randomBytes } from "node:crypto";
import { InstancePool, type PoolOptions } from "./pool.js";
import { createPoolMember } from "./pool-member.js";
import { requireSnapshot } from "../store/snapshot.js";
import { reapOrphans } from "./owned.js";

/**
 * What disposing an object of this API does: `"stop"` stops the VM (a Suspended instance is left
 * suspended); `"delete"` stops it and deletes the instance (a saved state with it). `Instance.create` defaults to `"delete"` (it removes what it created, like
 * testcontainers); `Instance.get` to `"stop"` (it never deletes what it did not create).
 */
export type DisposePolicy = "stop" | "delete";

/** `Instance.pool`'s options: `fromSnapshot`'s (but `name`, `dispose`, `signal`), the pool's, and the names' prefix. */
export type InstancePoolOptions = FromSnapshotOptions & Omit<StartOptions, "signal"> & PoolOptions & {
  /** Instances are named PREFIX-N (the first N free in the home); default `pool-SNAP`. */
  namePrefix?: string;
};

export interface InstanceCreateOptions extends CreateOptions {
  dispose?: DisposePolicy;
}

/** An instance on disk (created or stopped). `start()` boots it. Disposing it applies its policy. */
export class Instance implements AsyncDisposable {
  readonly name: string;
  readonly home: string;
  readonly disposePolicy: DisposePolicy;

  private constructor(name: string, home: string, dispose: DisposePolicy) {
    this.name = name;
    this.home = home;
    this.disposePolicy = dispose;
  }

  /** Creates an instance from a locator (template:NAME, FILE.yaml, URL) without booting it. */
  static async create(locator: string, opts: InstanceCreateOptions = {}): Promise<Instance> {
    const home = opts.home ?? tslimaHome();
    const created = await createInstance(locator, { ...opts, home });
    return new Instance(created.name, home, opts.dispose ?? "delete");
  }

  /**
   * A fresh instance from booted snapshot `snap`, started: it resumes the snapshot's memory over its
   * own copy-on-write disk (seconds, where a boot takes minutes) and gets its own hostname, ssh port
   * and clock. `name` defaults to SNAP-XXXX. Disposing it deletes it by default (as `create`); a
   * failed start deletes it before this rejects.
   */
  static async fromSnapshot(
    snap: string,
    opts: FromSnapshotOptions & StartOptions & { name?: string; dispose?: DisposePolicy } = {},
  ): Promise<RunningInstance> {
    const { home: h, snapshotHome, config, name: n, dispose, ...start } = opts;
    const home = h ?? tslimaHome();
    const name = n ?? `${snap}-${randomBytes(2).toString("hex")}`;
    await createFromSnapshot(snap, name, { home, ...(snapshotHome !== undefined ? { snapshotHome } : {}), ...(config !== undefined ? { config } : {}) });
    const instance = new Instance(name, home, dispose ?? "delete");
    try {
      return await instance.start(start);
    } catch (e) {
      await instance[Symbol.asyncDispose]();
      throw e;
    }
  }

  /**
   * A warm pool of instances made from booted snapshot `snap` (instance/pool.ts): it keeps `size`
   * of them resumed and ready, starting them one at a time (`concurrency`, default 1);
   * `await pool.ready()` waits for all of them; `pool.acquire()` hands one out at once (disposing it
   * deletes it) and starts a replacement. Disposing the pool deletes the instances it still holds.
   * They are owned by this process: if it dies first, the next tslima command deletes them.
   */
  static pool(snap: string, opts: InstancePoolOptions): InstancePool<RunningInstance> {
    const { home: h, snapshotHome, config, size, concurrency, maxFailures, namePrefix, ...start } = opts;
    const home = h ?? tslimaHome();
    requireSnapshot(snapshotHome ?? home, validateSnapshotName(snap));
    const from = { home, ...(snapshotHome !== undefined ? { snapshotHome } : {}), ...(config !== undefined ? { config } : {}) };
    let n = 0;
    let reaped: Promise<unknown> | undefined;
    return new InstancePool(
      async (signal) => {
        await (reaped ??= reapOrphans(home));
        const name = await createPoolMember(snap, namePrefix ?? `pool-${snap}`, () => ++n, from);
        const instance = new Instance(name, home, "delete");
        try {
          return await instance.start({ ...start, signal });
        } catch (e) {
          await instance[Symbol.asyncDispose]();
          throw e;
        }
      },
      { size, ...(concurrency !== undefined ? { concurrency } : {}), ...(maxFailures !== undefined ? { maxFailures } : {}) },
    );
  }

  /** An existing instance; an unknown name is an UNKNOWN_INSTANCE error listing the existing ones. */
  static get(name: string, opts: { home?: string; dispose?: DisposePolicy } = {}): Instance {
    const home = opts.home ?? tslimaHome();
    requireInstance(home, name);
    return new Instance(name, home, opts.dispose ?? "stop");
  }

  /** Every instance, as `tslima list` reports them (or the named ones). */
  static list(opts: { home?: string; names?: string[] } = {}): InstanceInfo[] {
    return listInstances(opts.home ?? tslimaHome(), opts.names ?? []);
  }

  get paths(): InstancePaths {
    return instancePaths(this.home, this.name);
  }

  /** Running, Stopped, Suspended or Broken (from the pid files and the saved state, not cached). */
  status(): InstanceStatus {
    return inspectStatus(requireInstance(this.home, this.name)).status;
  }

  /** What `tslima list` says about it: config, status, pids (`driverPID` is QEMU's). */
  info(): InstanceInfo {
    return describeInstance(this.home, this.name);
  }

  /**
   * Boots the instance and resolves once the guest is ready (an already running one resolves at
   * once; a Suspended one is resumed from its saved state, or booted when the state may not be
   * used, with a warning event saying why). A failed start leaves it Stopped, with its logs, and
   * rejects with the agent's error.
   */
  async start(opts: StartOptions = {}): Promise<RunningInstance> {
    const started = await startInstance(this.name, { ...opts, home: this.home });
    return new RunningInstance(this, started.message);
  }

  /** Deletes the instance; a running one only with `force` (which kills it). Nothing to do when gone. */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    if (!existsSync(this.paths.limaYaml)) return;
    await deleteInstance(this.name, { home: this.home, ...opts });
  }

  /** Applies the dispose policy: stop (when running), and delete when it is `"delete"`. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!existsSync(this.paths.limaYaml)) return;
    if (this.disposePolicy === "stop" && this.status() === "Suspended") return;
    await stopQuietly(this);
    if (this.disposePolicy === "delete") await this.delete({ force: true });
  }
}

/** Stops gracefully; when that fails, kills what is left (dispose must not leave a VM behind). */
async function stopQuietly(instance: Instance): Promise<void> {
  try {
    await stopInstance(instance.name, { home: instance.home });
  } catch {
    await forceStop(instance.paths);
  }
}

/** A booted instance: run commands, copy files, stop. `await using` stops it (see DisposePolicy). */
export class RunningInstance implements AsyncDisposable {
  readonly instance: Instance;
  /** The config's `message` (Lima's note to the user, template variables filled); "" when none. */
  readonly message: string;

  constructor(instance: Instance, message = "") {
    this.instance = instance;
    this.message = message;
  }

  get name(): string {
    return this.instance.name;
  }

  info(): InstanceInfo {
    return this.instance.info();
  }

  /** Runs an argv in the guest (login shell, as `tslima shell NAME -- ...`) and collects its output. */
  exec(command: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return exec(this.name, command, { home: this.instance.home, ...opts });
  }

  /** Runs a command (or a login shell) with this process's stdio; resolves with its exit code. */
  shell(command: string[] = [], opts: { workdir?: string } = {}): Promise<number> {
    return shell(this.name, command, { home: this.instance.home, ...opts });
  }

  /** Copies a host file or directory into the guest (scp -r). */
  copyIn(hostPath: string, guestPath: string): Promise<void> {
    return copy(hostPath, `${this.name}:${guestPath}`, { home: this.instance.home, recursive: true });
  }

  /** Copies a guest file or directory to the host (scp -r). */
  copyOut(guestPath: string, hostPath: string): Promise<void> {
    return copy(`${this.name}:${guestPath}`, hostPath, { home: this.instance.home, recursive: true });
  }

  /** Powers the guest off (QMP system_powerdown; QEMU is killed after `timeoutMs`, default 2 min). */
  async stop(opts: { timeoutMs?: number; force?: boolean } = {}): Promise<Instance> {
    await stopInstance(this.name, { home: this.instance.home, ...opts });
    return this.instance;
  }

  /**
   * Saves the VM's state and stops it (the guest's mounts are unmounted first; a busy one refuses,
   * naming the guest processes, and the VM keeps running). The instance is then Suspended; its
   * `start()` resumes it.
   */
  async suspend(opts: { timeoutMs?: number; onEvent?: (e: AgentEvent) => void } = {}): Promise<Instance> {
    await suspendInstance(this.name, { home: this.instance.home, ...opts });
    return this.instance;
  }

  /**
   * Takes booted snapshot `snap` of this VM (disk and memory at one instant; the VM runs on, its
   * mounts unmounted for that instant): `Instance.fromSnapshot(snap)` makes new instances from it.
   */
  snapshot(snap: string, opts: { timeoutMs?: number; onEvent?: (e: AgentEvent) => void } = {}): Promise<Snapshot> {
    return createSnapshot(this.name, snap, { home: this.instance.home, ...opts });
  }

  /** Stops the VM, and deletes the instance when its policy is `"delete"`. Never leaves QEMU running. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.instance[Symbol.asyncDispose]();
  }
}
