/**
 * The host agent of one instance, as its lifecycle: gather (gather.ts) -> plan (plan.ts, pure) ->
 * launch (boot, resume or re-attach, as the plan says; launch.ts, resume.ts, attach.ts) -> ready (readiness.ts, then
 * forwards and inotify) -> serve (requests.ts, asked on the control socket ha.sock: control.ts) -> shut down. Each piece it starts registers its own
 * cleanup in an on-close list (on-close.ts), run newest first when it shuts down.
 */
import { basename, dirname } from "node:path";
import { TslimaError } from "../errors.js";
import { stopQemu, cleanupRuntime } from "./shutdown.js";
import { instancePaths, type InstancePaths } from "../store/paths.js";
import { readPidFile } from "../store/pidfile.js";
import { writeShellFast } from "../store/shell-fast.js";
import { toAgentError } from "../store/agent-error.js";
import { writeFileAtomic } from "../store/atomic.js";
import { discardSavedState, invalidateSuspendRecord } from "../store/suspend.js";
import type { Step } from "../store/events.js";
import { describeExit } from "../proc/child.js";
import { startPortForwarding, type PortForwarding } from "../portfwd/index.js";
import { Reporter, type AgentIO, type AgentOptions } from "./agent-io.js";
import { OnClose } from "./on-close.js";
import { claimInstance } from "./claim.js";
import { gather, type Gathered } from "./gather.js";
import { planBoot, type BootPlan } from "./plan.js";
import { joinNetworks } from "./guest-net.js";
import type { AttachLaunch, BootLaunch, LaunchPlan, ResumeLaunch } from "./launch-plan.js";
import { adoptQemu, findOrphanQemu, recoverRunState } from "./attach.js";
import { checkQemu, spawnQemu, waitForPidFile, type QemuRun } from "./launch.js";
import { restoreState } from "./resume.js";
import { pinSnapshotHostKey } from "./reidentify.js";
import { prepareMountLocations, startMountDaemons, startReverseSshfs } from "./daemons.js";
import { deviceRuntimeFiles, prepareSwtpm, startVnc } from "./devices.js";
import { deviceFiles } from "../qemu/devices.js";
import { checkSftpServers } from "./sftp-check.js";
import { recordReadyCidata, writeCidata } from "./prepare.js";
import { runReadiness } from "./readiness.js";
import { startMountInotify, type MountInotify } from "./inotify.js";
import { handleRequest, RequestInbox, type RequestHost } from "./requests.js";
import { ControlServer, type ControlHandlers } from "./control.js";
import { reportFailure } from "./failure.js";
import type { RunningVm } from "./quiesce.js";
import type { Supervised } from "./processes.js";
import { copyToHost } from "./copy-to-host.js";
import { removeHostCopies } from "../store/host-copies.js";
import { PhaseClock } from "./timings.js";

export type { AgentIO, AgentOptions } from "./agent-io.js";

/** How long a QEMU whose agent died, and that is not adopted, gets to power its guest off (Debian under TCG: 10-20 s). */
const ORPHAN_POWERDOWN_MS = 60_000;

/** Runs the host agent for one instance directory until the VM stops. Returns the exit code. */
export async function runHostAgent(instanceDir: string, io: AgentIO, opts: AgentOptions): Promise<number> {
  return new HostAgent(instanceDir, io, opts).run();
}

export class HostAgent implements RequestHost {
  readonly paths: InstancePaths;
  readonly report: Reporter;
  private readonly home: string;
  private readonly onClose: OnClose;
  private readonly inbox: RequestInbox;
  /** ha.sock: served from the claim of the pid file until the agent has said it exits. */
  private control: ControlServer | undefined;
  /** Mount daemons: virtiofsd before QEMU, reverse-sshfs sessions once ssh works. */
  private readonly daemons: Supervised[] = [];
  private gathered: Gathered | undefined;
  private plan: BootPlan | undefined;
  private qemu: QemuRun | undefined;
  /** Ends the guest sessions (reverse-sshfs reconnects) for a suspend, without stopping the agent. */
  private sessions = new AbortController();
  private forwarding: { portfwd: PortForwarding; inotify: Promise<MountInotify> | undefined } | undefined;
  /** How QEMU is stopped when the agent shuts down: powered off (a stop) or terminated. */
  private graceful = false;
  /** How long each phase of this start took: said before READY (timings.ts). */
  private readonly timings = new PhaseClock();

  constructor(
    instanceDir: string,
    io: AgentIO,
    private readonly opts: AgentOptions,
  ) {
    this.home = dirname(instanceDir);
    this.paths = instancePaths(this.home, basename(instanceDir));
    // every event also goes to the control socket's subscribers
    this.report = new Reporter({ emit: (e) => (io.emit(e), this.control?.publish(e)), log: (m) => io.log(m) });
    this.onClose = new OnClose((m) => this.log(m));
    this.inbox = new RequestInbox(this.paths);
  }

  async run(): Promise<number> {
    try {
      claimInstance(this.paths, this.home);
      removeHostCopies(this.paths, (m) => this.log(m)); // deleteOnStop copies an agent that died left
      this.control = await ControlServer.listen(this.paths.haSock, this.controlHandlers());
    } catch (e) {
      const error = toAgentError(e);
      this.report.status.errors = [error.message];
      this.report.emit({ kind: "failed", message: "failed", error });
      return 1;
    }
    this.onClose.add("a QEMU left by a dead agent", () => this.powerOffLeftOrphan());
    const sockets = () => [
      ...(this.plan?.mounts.mounts ?? []).flatMap((m) => m.daemons.flatMap((d) => (d.socket ? [d.socket] : []))),
      ...(this.plan?.nics ?? []).map((n) => n.socket),
      ...deviceRuntimeFiles(this.paths),
    ];
    this.onClose.add("mount daemons and runtime files", () => cleanupRuntime(this.paths, this.daemons, sockets()));
    try {
      const t = this.timings;
      const plan = await t.time("gather and plan", () => this.gatherAndPlan());
      const launched = await this.launch(plan);
      await this.startDisplay(plan);
      await t.time("networks (host side)", () => joinNetworks(plan, { home: this.home, paths: this.paths, report: this.report, onClose: this.onClose, log: (m) => this.log(m) }));
      await this.ready(plan, launched);
    } catch (e) {
      const guestReachable = this.qemu !== undefined && this.qemu.exit === undefined && !this.opts.stop.aborted;
      await reportFailure(this.paths, e, this.report, guestReachable);
      return this.shutdown(1, false);
    }
    return this.serve();
  }

  /** Gather, then plan (pure), then what the plan needs on the host before anything starts. */
  private async gatherAndPlan(): Promise<BootPlan> {
    const { paths, report } = this;
    const gathered = await gather({ paths, home: this.home, report, onClose: this.onClose, interrupt: this.interrupt, stop: this.opts.stop });
    this.gathered = gathered;
    const { config, host } = gathered;
    const plan = planBoot(config, host, paths);
    this.plan = plan;
    report.step("ssh-config", "Writing ssh.config");
    writeFileAtomic(paths.sshConfig, plan.sshConfig);
    report.status.sshLocalPort = host.sshPort;
    prepareMountLocations(plan.mounts);
    const unconfinedWarning = checkSftpServers(plan.mounts, paths, host.facts, host.sftpUnconfined === true);
    if (unconfinedWarning !== undefined) report.warn(unconfinedWarning);
    return plan;
  }

  /** Re-attaches, boots or resumes as the plan says; returns the launch that ran (a failed restore or re-attach boots instead). */
  private async launch(plan: BootPlan): Promise<LaunchPlan> {
    let l = plan.launch;
    if (l.variant === "attach") {
      if (await this.attach(plan, l)) return l;
      l = l.fallback;
    } else if (l.powerOff !== undefined) await this.powerOffOrphan(l.powerOff.pid, l.powerOff.reason);
    if (l.variant === "boot") this.prepareBoot(plan, l);
    else if (l.writeCidata) this.writeCidata(plan);
    if (plan.tpm === true) prepareSwtpm(this.paths);
    if (plan.daemons.length > 0) {
      this.report.step("start-daemons", "Starting mount daemons");
      this.daemons.push(...(await startMountDaemons(plan.daemons, this.opts.stop, (name) => this.report.childLog(name))));
    }
    this.interrupt();
    this.onClose.add("qemu", () => this.stopQemu(this.graceful));
    if (l.variant === "resume") return this.resume(plan, l);
    await this.startQemu(plan, plan.qemu.argv);
    return l;
  }

  /**
   * Adopts the QEMU a dead agent left running (its run state recovered: a save cancelled, a paused
   * VM continued; the half-done suspend's files removed). False when it cannot be: it is powered off.
   */
  private async attach(plan: BootPlan, l: AttachLaunch): Promise<boolean> {
    const { paths } = this;
    const why = await recoverRunState(paths, (m) => this.log(m)).catch((e: unknown) => `QMP: ${(e as Error).message}`);
    if (why !== undefined) {
      await this.powerOffOrphan(l.pid, why);
      return false;
    }
    discardSavedState(paths); // vmstate.tmp (and any record) of a suspend the dead agent did not finish
    this.report.step("attach", `Re-attaching to the running QEMU (pid ${l.pid}) that the previous host agent left`);
    const run: QemuRun = { proc: adoptQemu(l.pid, paths.dir), argv: plan.qemu.argv };
    void run.proc.exited.then((e) => (run.exit = e));
    this.qemu = run;
    this.onClose.add("qemu", () => this.stopQemu(this.graceful));
    return true;
  }

  /** Powers off a QEMU of this instance that runs without its agent and is not adopted (its guest writes its disks). */
  private async powerOffOrphan(pid: number, reason: string): Promise<void> {
    this.report.warn(`not re-attaching to the running QEMU (pid ${pid}) of ${this.paths.name}: ${reason}; powering it off and booting (its guest's processes end)`);
    await this.stopOrphan(pid);
  }

  /** Powers off a QEMU that is not this agent's child (its guest writes its disks first). */
  private stopOrphan(pid: number): Promise<void> {
    return stopQemu(adoptQemu(pid, this.paths.dir), this.paths, { graceful: true, powerdownMs: ORPHAN_POWERDOWN_MS, log: (m) => this.log(m) });
  }

  /** On close: a QEMU a dead agent left that this start did not get to (it failed before) is powered off. */
  private async powerOffLeftOrphan(): Promise<void> {
    const left = this.qemu === undefined ? findOrphanQemu(this.paths) : undefined;
    if (left !== undefined) await this.stopOrphan(left.pid);
  }

  private prepareBoot(plan: BootPlan, l: BootLaunch): void {
    discardSavedState(this.paths); // a state that is not restored, or one without a record (a killed suspend)
    if (l.notResumed !== undefined) this.report.warn(`not resuming ${this.paths.name}: ${l.notResumed}; booting it instead (the saved state is discarded)`);
    this.report.say(`cloud-init: ${plan.cloudInit.cloudInit === "light" ? "switched off" : "full run"} (${plan.cloudInit.reason})`);
    this.writeCidata(plan);
  }

  private writeCidata(plan: BootPlan): void {
    this.report.step("cidata", "Writing cidata.iso");
    writeCidata(this.paths, plan.cidata, plan.cidataHostFiles);
  }

  /** Restores the saved state; one QEMU cannot load is discarded and the plan's fallback boots. */
  private async resume(plan: BootPlan, l: ResumeLaunch): Promise<LaunchPlan> {
    const { paths, report } = this;
    // A kill from here on must boot cold next time: the record goes before the guest can run.
    invalidateSuspendRecord(paths);
    await this.startQemu(plan, l.argv, " to restore the saved state");
    report.step("restore-state", `Restoring the state saved at ${l.record.savedAt} (${Math.round(l.record.stateBytes / 1048576)} MiB)`);
    try {
      await restoreState(paths, (m) => this.log(m), this.timings);
    } catch (e) {
      if (this.opts.stop.aborted) throw e;
      report.warn(`restoring the saved state of ${paths.name} failed (${(e as Error).message}); booting it instead (the state is discarded)`);
      await this.stopQemu(false);
      this.prepareBoot(plan, l.fallback);
      await this.startQemu(plan, plan.qemu.argv);
      return l.fallback;
    }
    if (l.pinSnapshotKey) pinSnapshotHostKey(paths);
    return l;
  }

  private async startQemu(plan: BootPlan, argv: string[], why = ""): Promise<void> {
    this.report.step("start-qemu", `Starting QEMU${why} (${plan.qemu.binary}, accel ${this.gathered?.host.qemu.accel ?? "?"})`);
    this.log(`${plan.qemu.binary} ${argv.join(" ")}`);
    const qemu = spawnQemu(this.paths, plan, argv, this.report.childLog("qemu"));
    this.qemu = qemu;
    await this.timings.time("QEMU spawn (to its pid file)", () => waitForPidFile(this.paths, qemu.proc, this.interrupt));
  }

  private async stopQemu(graceful: boolean): Promise<void> {
    if (this.qemu) await stopQemu(this.qemu.proc, this.paths, { graceful, powerdownMs: this.opts.powerdownMs ?? 120_000, log: (m) => this.log(m) });
  }

  /** video.display: vnc: the VNC server's password and Lima's vncdisplay/vncpassword files. */
  private async startDisplay(plan: BootPlan): Promise<void> {
    if (plan.vnc === undefined) return;
    const display = await startVnc(this.paths, plan.vnc);
    this.report.say(`VNC server running at ${display} (password in ${deviceFiles(this.paths).vncPassword})`);
  }

  /** Waits until the guest is ready, then tells so and starts forwarding. */
  private async ready(plan: BootPlan, launched: LaunchPlan): Promise<void> {
    const { paths, report } = this;
    await runReadiness(launched.readiness, {
      paths,
      mounts: plan.mounts,
      step: (s, m) => this.step(s, m),
      emit: (e) => report.emit(e),
      interrupt: this.interrupt,
      stop: this.guestStop(),
      daemons: this.daemons,
      childLog: (name) => report.childLog(name),
      timed: (name, ms) => this.timings.add(name, ms),
      ...(this.gathered?.hostResolver ? { hostResolverPort: this.gathered.hostResolver.port } : {}),
      ...(this.opts.progress === true ? { progress: true } : {}),
    });
    if (this.qemu) this.qemu.console = undefined;
    const copies = plan.copyToHost;
    if (copies !== undefined) {
      report.step("copy-to-host", `Copying ${copies.length} file(s) from the guest (copyToHost)`);
      this.onClose.add("copyToHost files (deleteOnStop)", () => removeHostCopies(paths, (m) => this.log(m)));
      await this.timings.time("copy-to-host", () => copyToHost(paths, copies, (m) => report.say(m), this.opts.stop));
    }
    if (launched.readyCidata !== undefined) recordReadyCidata(paths, launched.readyCidata);
    report.say(this.timings.summary());
    report.status.running = true;
    report.status.ready = true;
    report.emit({
      kind: "ready",
      message: "READY",
      ...(launched.variant === "resume" ? { resumed: true } : {}),
      ...(plan.instanceMessage !== undefined ? { instanceMessage: plan.instanceMessage } : {}),
      ...(plan.dockerSocket !== undefined ? { dockerSocket: plan.dockerSocket } : {}),
    });
    // bin/tslima's shell fast path: from now on `tslima shell NAME CMD` runs ssh without Node.
    const config = this.gathered?.config;
    if (config) writeShellFast(paths, { home: config.user.home, mounts: config.mounts }, process.pid, readPidFile(paths.qemuPid));
    this.onClose.add("port forwards and inotify", () => this.stopForwarding());
    this.startForwarding();
  }

  private startForwarding(): void {
    const { plan, gathered } = this;
    if (plan === undefined || gathered === undefined) return;
    const log = (m: string) => this.log(m);
    const portfwd = startPortForwarding(this.paths, gathered.config, { emit: (e) => this.report.emit(e), log }, { sshLocalPort: gathered.host.sshPort });
    const inotify = plan.inotify !== undefined ? startMountInotify(this.paths, plan.inotify, { log, warn: (m) => this.report.warn(m) }) : undefined;
    this.forwarding = { portfwd, inotify };
  }

  private async stopForwarding(): Promise<void> {
    const f = this.forwarding;
    this.forwarding = undefined;
    await f?.portfwd.stop();
    await (await f?.inotify)?.stop();
  }

  /** Until QEMU exits (guest halted, killed), a stop is requested or a suspend succeeds. */
  private async serve(): Promise<number> {
    // a stop requested during the start's last steps (already aborted) counts too
    const stopped = new Promise<"stop">((resolve) => {
      if (this.opts.stop.aborted) resolve("stop");
      else this.opts.stop.addEventListener("abort", () => resolve("stop"), { once: true });
    });
    const exited = this.running().qemu.exited;
    for (;;) {
      const next = await Promise.race([exited, stopped, this.inbox.next().then((request) => ({ request }))]);
      if (next === "stop" || !("request" in next)) {
        this.log(next === "stop" ? "stop requested: powering the guest off" : `qemu ${describeExit(next)}`);
        return this.shutdown(0, next === "stop");
      }
      if ((await handleRequest(this, next.request)) === "exit") return this.shutdown(0, false);
      if (this.opts.stop.aborted) return this.shutdown(0, true);
    }
  }

  /** Closes everything started, newest first (QEMU powered off when `graceful`), and says so. */
  private async shutdown(code: number, graceful: boolean): Promise<number> {
    this.inbox.close();
    this.graceful = graceful;
    await this.onClose.closeAll();
    const { status } = this.report;
    status.running = false;
    status.ready = false;
    status.exiting = true;
    this.report.emit({ kind: "exiting", message: "exiting", maxRSSKiB: process.resourceUsage().maxRSS });
    await this.control?.close(); // after "exiting": subscribers see the end
    return code;
  }

  private controlHandlers(): ControlHandlers {
    return {
      status: () => {
        const qemuPid = this.qemu ? readPidFile(this.paths.qemuPid) : undefined;
        return { status: { ...this.report.status }, ...(qemuPid !== undefined ? { qemuPid } : {}) };
      },
      suspend: () => this.inbox.ask({ action: "suspend" }),
      snapshot: (dir) => this.inbox.ask({ action: "snapshot", dir }),
    };
  }

  /** Throws when the start is stopped, the guest's console shows a failed boot, or QEMU exited. */
  private readonly interrupt = (): void => {
    if (this.opts.stop.aborted) throw new TslimaError("INTERRUPTED", "the start was interrupted");
    this.qemu?.console?.check();
    checkQemu(this.paths, this.qemu);
  };

  private guestStop(): AbortSignal {
    return AbortSignal.any([this.opts.stop, this.sessions.signal]);
  }

  // Savable: what a suspend or snapshot uses (quiesce.ts)

  running(): RunningVm {
    const { plan, qemu, gathered } = this;
    if (plan === undefined || qemu === undefined || gathered === undefined) throw new TslimaError("INTERNAL", "the VM is not running");
    return { qemu: qemu.proc, argv: qemu.argv, facts: gathered.host.qemu, sshPort: gathered.host.sshPort, mounts: plan.mounts };
  }

  step(s: Step, message: string): void {
    this.report.step(s, message);
  }

  log(m: string): void {
    this.report.log(m);
  }

  pauseSshfs(): Promise<() => Promise<void>> {
    this.sessions.abort();
    return Promise.resolve(async () => {
      this.sessions = new AbortController();
      const sshfs = this.running().mounts.mounts.filter((m) => m.sshfs !== undefined);
      this.daemons.push(...(await startReverseSshfs(this.paths, sshfs, (name) => this.report.childLog(name), this.guestStop())));
    });
  }

  async pauseForwarding(): Promise<() => Promise<void>> {
    await this.stopForwarding();
    return () => Promise.resolve(this.startForwarding());
  }
}
