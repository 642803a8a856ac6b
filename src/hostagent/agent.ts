import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { TslimaError, isTslimaError } from "../errors.js";
import { loadConfigText, probeHostFacts } from "../config/index.js";
import { imageCandidates } from "../config/images.js";
import { resolveImage } from "../images/index.js";
import { ensureEfiVars, incomingArgv, probeQemu } from "../qemu/index.js";
import { ensureHostKey, ensureUserKey } from "../ssh/index.js";
import { findVirtiofsd } from "../mounts/index.js";
import type { MountPlan } from "../mounts/types.js";
import { buildCacheDir, instancePaths, snapshotPathsIn, type InstancePaths } from "../store/paths.js";
import { isOurProcess, readPidFile } from "../store/pidfile.js";
import { writeShellFacts } from "../store/shell-facts.js";
import { writeShellFast } from "../store/shell-fast.js";
import type { AgentEvent, AgentStatus, Step } from "../store/events.js";
import { toAgentError } from "../store/agent-error.js";
import { writeFileAtomic } from "../store/atomic.js";
import { requirePrivateDir } from "../store/private.js";
import { supervise, type Supervised } from "./processes.js";
import { describeExit, type Exit } from "../proc/child.js";
import { poll } from "../proc/wait.js";
import { checkPreparedDisk, chooseSshPort, diskPrepared, prepareDisk, readImageRecord, recordReadyCidata, sshPublicKeys, takeReadyCidata, writeCidata } from "./prepare.js";
import { prepareMountLocations, startMountDaemons, startReverseSshfs } from "./daemons.js";
import { checkSftpServers } from "./sftp-check.js";
import { SFTP_UNCONFINED_ENV } from "../mounts/sftp-confine.js";
import { planBoot } from "./plan.js";
import { attachDisks, releaseDisks } from "./disks.js";
import { additionalDisks, type AttachedDisk } from "../disks/plan.js";
import { runReadiness } from "./readiness.js";
import { cloudInitOutputTail } from "./guest.js";
import { cleanupRuntime, stopQemu } from "./shutdown.js";
import { resumeDecision, restoreState, snapshotTakenPath, snapshotVm, suspendVm, syncGuestClock, type SuspendContext } from "./suspend.js";
import { IDENTITY_SCRIPT, resumeSteps, withReidentify } from "./readiness-plan.js";
import { ensureVmGenId, identityDue } from "./reidentify.js";
import { guestHostname } from "../config/guest.js";
import { takeRequest } from "../store/request.js";
import { invalidateSuspendRecord, readSuspendRecord } from "../store/suspend.js";
import { dockerHostSocket, startPortForwarding, type PortForwarding } from "../portfwd/index.js";
import { watchedMounts } from "../mounts/inotify.js";
import { startMountInotify, type MountInotify } from "./inotify.js";
import { SerialWatch } from "./serial-watch.js";
import { adoptQemu, attachOrphan, findOrphanQemu, orphanSshPort } from "./attach.js";
import { attachSteps } from "./attach-plan.js";

export interface AgentIO {
  /** Writes one event line (ha.stdout.log). */
  emit(e: Omit<AgentEvent, "time">): void;
  /** Human-readable log line (ha.stderr.log). */
  log(message: string): void;
}

export interface AgentOptions {
  /** Aborted on SIGTERM/SIGINT: stop the boot, or power the VM off. */
  stop: AbortSignal;
  /** How long the guest gets to halt after system_powerdown. */
  powerdownMs?: number;
  /**
   * Emits "request" for each SIGUSR2: the agent takes `<instance>/request.json` (store/request.ts):
   * a suspend (save the VM's state and exit) or a booted snapshot (save it into a directory, run on).
   */
  requests?: { on(event: "request", listener: () => void): unknown };
}

function tail(path: string, lines: number): string[] {
  try {
    return readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").slice(-lines);
  } catch {
    return [];
  }
}

function claimPidFile(paths: InstancePaths): void {
  const other = readPidFile(paths.haPid);
  if (other !== undefined && other !== process.pid && isOurProcess(other, paths.dir)) {
    throw new TslimaError("AGENT_RUNNING", `a host agent (pid ${other}) already runs for instance ${paths.name}`, {
      hint: `stop it first: tslima stop ${paths.name}`,
    });
  }
  writeFileSync(paths.haPid, `${process.pid}\n`);
}

/** Runs the host agent for one instance directory until the VM stops. Returns the exit code. */
export async function runHostAgent(instanceDir: string, io: AgentIO, opts: AgentOptions): Promise<number> {
  const paths = instancePaths(dirname(instanceDir), basename(instanceDir));
  const home = dirname(instanceDir);
  const status: AgentStatus = { running: false };
  const emit = (e: Omit<AgentEvent, "time" | "status">) => io.emit({ status: { ...status }, ...e });
  const step = (s: Step, message: string) => {
    io.log(message);
    emit({ step: s, message });
  };
  let qemu: Supervised | undefined;
  let qemuExit: Exit | undefined;
  // the guest's console of the current QEMU run, read while the boot is waited for
  let guestConsole: SerialWatch | undefined;
  const daemons: Supervised[] = [];
  let plan: MountPlan | undefined;
  let sshPossible = false;
  let portfwd: PortForwarding | undefined;
  let inotify: Promise<MountInotify> | undefined;
  const stopInotify = async () => {
    const running = inotify;
    inotify = undefined;
    await (await running)?.stop();
  };
  let suspender: SuspendContext | undefined;
  let disks: AttachedDisk[] = [];
  // ends the guest sessions (reverse-sshfs reconnects) for a suspend, without stopping the agent
  let sessions = new AbortController();
  let requested: (() => void) | undefined;
  opts.requests?.on("request", () => {
    if (requested) return requested();
    const req = takeRequest(paths);
    const error = { code: "NOT_RUNNING" as const, message: `${paths.name} is not ready yet (booting, stopping, or busy with another request)` };
    emit("action" in req && req.action === "snapshot" ? { snapshot: "failed", error } : { suspend: "failed", error });
  });

  const interrupt = () => {
    if (opts.stop.aborted) throw new TslimaError("INTERRUPTED", "the start was interrupted");
    guestConsole?.check();
    if (qemuExit && qemu) {
      const last = qemu.stderrTail().slice(-5).join("\n");
      throw new TslimaError("QEMU_EXITED", `qemu ${describeExit(qemuExit)} during boot${last ? `:\n${last}` : ""}`, {
        hint: `see ${paths.serialLog} and ${paths.haStderrLog}`,
      });
    }
  };
  const finish = async (code: number, graceful: boolean): Promise<number> => {
    await portfwd?.stop();
    await stopInotify();
    // attach (issue 25): a QEMU left by a dead agent that this failed start did not get to is powered off
    const left = qemu === undefined ? findOrphanQemu(paths) : undefined;
    const running = qemu ?? (left && adoptQemu(left.pid, paths.dir));
    if (running) await stopQemu(running, paths, { graceful: graceful || left !== undefined, powerdownMs: opts.powerdownMs ?? 120_000, log: (m) => io.log(m) });
    const sockets = (plan?.mounts ?? []).flatMap((m) => m.daemons.flatMap((d) => (d.socket ? [d.socket] : [])));
    await cleanupRuntime(paths, daemons, sockets);
    releaseDisks(home, paths.dir, disks);
    status.running = false;
    status.ready = false;
    status.exiting = true;
    emit({ message: "exiting", maxRSSKiB: process.resourceUsage().maxRSS });
    return code;
  };

  try {
    requirePrivateDir(home, "TSLIMA_HOME");
    requirePrivateDir(paths.dir, "instance directory");
    claimPidFile(paths);
  } catch (e) {
    const error = toAgentError(e);
    status.errors = [error.message];
    emit({ message: "failed", error });
    return 1;
  }

  try {
    const hostFacts = probeHostFacts();
    const text = readFileSync(paths.limaYaml, "utf8");
    const { config, warnings } = loadConfigText(text, paths.limaYaml, { hostFacts, tslimaHome: home, instanceName: paths.name });
    for (const w of warnings) emit({ warning: w });
    // Before QEMU starts (so before the instance can be Running): what `shell` reads instead of lima.yaml.
    const shellFacts = { home: config.user.home, mounts: config.mounts };
    writeShellFacts(paths, shellFacts);
    // additionalDisks: locked first, so a disk another instance uses refuses the start before any work
    disks = await attachDisks(home, paths.dir, additionalDisks(config));

    let image = readImageRecord(paths);
    const firstStart = image === undefined || !diskPrepared(paths);
    if (image === undefined || firstStart) {
      const candidates = imageCandidates(config).map((i) => i.location);
      step("resolve-image", `Resolving the ${config.arch} image (${candidates.join(", ")})`);
      const resolved = await resolveImage(config, {
        tslimaHome: home,
        buildCacheDir: buildCacheDir(),
        onProgress: (p) => {
          if (p.type === "download-progress") emit({ progress: { done: p.receivedBytes, ...(p.totalBytes ? { total: p.totalBytes } : {}) } });
          else if (p.type === "warning") emit({ warning: p.message });
          else if (p.type === "build-step") emit({ message: p.message });
        },
      });
      interrupt();
      step("prepare-disk", `Creating the disk (${config.disk}) over ${resolved.disk}`);
      image = await prepareDisk(config, paths, resolved);
    } else {
      step("prepare-disk", "Using the existing disk");
      checkPreparedDisk(paths, image);
    }
    interrupt();

    step("user-key", "Ensuring the ssh user key and the guest's pinned host key");
    const key = await ensureUserKey(home);
    const hostKey = await ensureHostKey(paths);
    // An instance made before tslima pinned host keys: its guest is re-keyed by cloud-init on this boot.
    if (hostKey.created && !firstStart) emit({ message: `Generated an ssh host key for ${paths.name}, pinned in ${paths.knownHosts}; the guest takes it on this boot` });
    const saved = readSuspendRecord(paths);
    // attach (issue 25): a QEMU whose agent died still runs; plan with its ssh port
    const orphan = findOrphanQemu(paths);
    const sshPort = orphanSshPort(orphan, config) ?? (await chooseSshPort(config, saved && "record" in saved ? saved.record.sshPort : undefined));
    const qemuFacts = await probeQemu(config.arch, hostFacts);
    if (qemuFacts.accelWarning) emit({ warning: qemuFacts.accelWarning });
    const virtiofsd = config.mountType === "virtiofs" && config.mounts.length > 0 ? findVirtiofsd() : undefined;
    const sftpUnconfined = process.env[SFTP_UNCONFINED_ENV] === "1";
    // The cidata the guest saw at its last READY (the marker is taken: a boot that fails leaves none).
    const readyCidata = takeReadyCidata(paths);
    const boot = planBoot(config, {
      facts: hostFacts,
      qemu: qemuFacts,
      image,
      sshPort,
      sshIdentityFile: key.privateKeyPath,
      sshPublicKeys: sshPublicKeys(config, key.publicKey),
      hostKey,
      vmgenid: ensureVmGenId(paths),
      ...(virtiofsd ? { virtiofsd } : {}),
      sftpUnconfined,
      disks,
      freshDisk: firstStart,
      readyCidata,
    }, paths);
    plan = boot.mounts;
    // --- attach instead of launch (issue 25): adopt the orphan QEMU, or power it off and boot ---
    const adopted = orphan
      ? await attachOrphan({
          paths, orphan, config, planned: boot.qemu, identityPending: identityDue(paths, false),
          log: (m) => io.log(m), warn: (m) => emit({ warning: m }), powerdownMs: 60_000,
        })
      : undefined;
    const decision = adopted ? undefined : resumeDecision(paths, saved, { qemu: qemuFacts, argv: boot.qemu.argv });
    if (decision && "reason" in decision) emit({ warning: `not resuming ${paths.name}: ${decision.reason}; booting it instead (the saved state is discarded)` });
    let resume = decision && "record" in decision ? decision.record : undefined;
    const cloudInitSaid = () => emit({ message: `cloud-init: ${boot.cloudInit.cloudInit === "light" ? "switched off" : "full run"} (${boot.cloudInit.reason})` });
    if (!resume && !adopted) cloudInitSaid();

    step("ssh-config", "Writing ssh.config");
    writeFileAtomic(paths.sshConfig, boot.sshConfig);
    status.sshLocalPort = sshPort;
    prepareMountLocations(boot.mounts);
    const unconfinedWarning = checkSftpServers(boot.mounts, paths, hostFacts, sftpUnconfined);
    if (unconfinedWarning !== undefined) emit({ warning: unconfinedWarning });
    const cidata = () => {
      step("cidata", "Writing cidata.iso");
      writeCidata(paths, boot.cidata);
    };
    // a resumed guest read its cidata when it booted; an instance made from a snapshot has none yet
    if (!adopted && (!resume || !existsSync(paths.cidataIso))) cidata();

    // an adopted QEMU's mount daemons (virtiofsd) still serve it
    if (!adopted && boot.daemons.length > 0) {
      step("start-daemons", "Starting mount daemons");
      daemons.push(...(await startMountDaemons(boot.daemons, opts.stop)));
    }
    interrupt();

    const launch = async (incoming: boolean): Promise<{ proc: Supervised; argv: string[] }> => {
      step("start-qemu", `Starting QEMU${incoming ? " to restore the saved state" : ""} (${qemuFacts.binary}, accel ${qemuFacts.accel})`);
      rmSync(paths.qemuPid, { force: true });
      rmSync(paths.qmpSock, { force: true });
      rmSync(paths.sshSock, { force: true });
      // empty and 0600 before QEMU runs (QEMU truncates it and keeps the mode): the console watched
      // must not be the previous run's
      writeFileAtomic(paths.serialLog, "");
      if (boot.efiVars && qemuFacts.firmware !== undefined) ensureEfiVars(paths, qemuFacts.firmware);
      const argv = incoming ? incomingArgv(boot.qemu.argv) : boot.qemu.argv;
      io.log(`${boot.qemu.binary} ${argv.join(" ")}`);
      const mine = supervise("qemu", boot.qemu.binary, argv);
      guestConsole = new SerialWatch(paths.serialLog, paths.name);
      qemu = mine;
      qemuExit = undefined;
      void mine.exited.then((e) => {
        if (qemu === mine) qemuExit = e;
      });
      await waitForPidFile(paths, mine, interrupt);
      return { proc: mine, argv };
    };
    // A kill from here on must boot cold next time: the record goes before the guest can run.
    if (resume) invalidateSuspendRecord(paths);
    const attach = (proc: Supervised): { proc: Supervised; argv: string[] } => {
      step("attach", `Re-attaching to the running QEMU (pid ${proc.child.pid}) that the previous host agent left`);
      qemu = proc;
      void proc.exited.then((e) => {
        if (qemu === proc) qemuExit = e;
      });
      return { proc, argv: boot.qemu.argv };
    };
    let launched = adopted ? attach(adopted) : await launch(resume !== undefined);
    qemu = launched.proc; // (launch set it already: this tells the compiler)
    sshPossible = true;
    if (resume) {
      step("restore-state", `Restoring the state saved at ${resume.savedAt} (${Math.round(resume.stateBytes / 1048576)} MiB)`);
      try {
        await restoreState(paths, (m) => io.log(m));
      } catch (e) {
        if (opts.stop.aborted) throw e;
        // QEMU could not load it (a damaged or foreign state): boot instead, in this same start
        emit({ warning: `restoring the saved state of ${paths.name} failed (${(e as Error).message}); booting it instead (the state is discarded)` });
        await stopQemu(qemu, paths, { graceful: false, powerdownMs: 0, log: (m) => io.log(m) });
        resume = undefined;
        cloudInitSaid();
        cidata();
        launched = await launch(false);
        qemu = launched.proc;
      }
    }
    const argv = launched.argv;

    const guestStop = () => AbortSignal.any([opts.stop, sessions.signal]);
    // an instance made from a booted snapshot: its own identity (hostagent/reidentify.ts)
    const reidentify = identityDue(paths, resume !== undefined);
    const readiness = adopted ? attachSteps(boot.readiness, boot.mounts, guestHostname(paths.name)) : resume ? resumeSteps(boot.mounts, guestHostname(paths.name), reidentify) : reidentify ? withReidentify(boot.readiness) : boot.readiness;
    await runReadiness(readiness, { paths, mounts: boot.mounts, step, emit, interrupt, stop: guestStop(), daemons });
    guestConsole = undefined;
    // A resumed guest continues the boot that saw the previous cidata, not this one.
    const seen = resume || adopted ? readyCidata : boot.cloudInit.cidata;
    if (seen !== undefined) recordReadyCidata(paths, seen);
    status.running = true;
    status.ready = true;
    const dockerSocket = dockerHostSocket(config.portForwards);
    emit({
      message: "READY",
      ...(resume ? { resumed: true } : {}),
      ...(config.message.trim() !== "" ? { instanceMessage: config.message } : {}),
      ...(dockerSocket !== undefined ? { dockerSocket } : {}),
    });
    // bin/tslima's shell fast path: from now on `tslima shell NAME CMD` runs ssh without Node.
    writeShellFast(paths, shellFacts, process.pid, readPidFile(paths.qemuPid));
    const forward = () => {
      portfwd = startPortForwarding(paths, config, { emit, log: (m) => io.log(m) }, { sshLocalPort: sshPort });
      if (config.mountInotify) inotify = startMountInotify(paths, watchedMounts(boot.mounts.mounts), { log: (m) => io.log(m), warn: (m) => emit({ warning: m }) });
    };
    forward();
    const running = qemu;
    suspender = {
      paths, plan: boot.mounts, qemu: running, qemuFacts, argv, sshPort, step, log: (m) => io.log(m),
      stopSshfs: () => Promise.resolve(sessions.abort()),
      startSshfs: async () => {
        sessions = new AbortController();
        daemons.push(...(await startReverseSshfs(paths, boot.mounts.mounts.filter((m) => m.sshfs !== undefined), guestStop())));
      },
      stopForwarding: async () => {
        await portfwd?.stop();
        portfwd = undefined;
        await stopInotify();
      },
      startForwarding: forward,
    };
  } catch (e) {
    const err = e as Error;
    io.log(`error: ${isTslimaError(e) && e.hint ? `${err.message}\nhint: ${e.hint}` : err.message}`);
    const logTail: string[] = [];
    if (sshPossible && !opts.stop.aborted && qemuExit === undefined) {
      const ci = await cloudInitOutputTail(paths);
      if (ci.length > 0) logTail.push("--- /var/log/cloud-init-output.log (tail) ---", ...ci);
    }
    const serial = tail(paths.serialLog, 20);
    if (serial.length > 0) logTail.push("--- serial.log (tail) ---", ...serial);
    const error = toAgentError(e, logTail);
    status.errors = [error.message];
    emit({ message: "failed", error });
    status.errors = undefined;
    return finish(1, false);
  }

  const takeSnapshot = async (dir: string): Promise<void> => {
    status.ready = false;
    emit({ snapshot: "requested", message: `Taking a booted snapshot of ${paths.name}` });
    try {
      const target = snapshotPathsIn(dir, basename(dir));
      const taken = await snapshotVm(suspender, target, () => syncGuestClock(paths, IDENTITY_SCRIPT, guestHostname(paths.name)).then(() => undefined));
      writeFileAtomic(snapshotTakenPath(target), `${JSON.stringify(taken)}\n`);
      status.ready = true;
      emit({ snapshot: "saved", stateBytes: taken.stateBytes, message: `Saved the VM state (${Math.round(taken.stateBytes / 1048576)} MiB) and the disk; the VM runs on` });
    } catch (e) {
      io.log(`snapshot failed: ${(e as Error).message}`);
      status.ready = true;
      emit({ snapshot: "failed", message: "the snapshot failed; the VM keeps running", error: toAgentError(e) });
    }
  };

  // Supervise: until qemu exits (guest halted, killed), a stop is requested or a suspend succeeds.
  const stopped = new Promise<"stop">((resolve) => opts.stop.addEventListener("abort", () => resolve("stop"), { once: true }));
  for (;;) {
    const asked = new Promise<"request">((resolve) => (requested = () => resolve("request")));
    const exit = await Promise.race([qemu.exited, stopped, asked]);
    if (exit !== "request") {
      io.log(exit === "stop" ? "stop requested: powering the guest off" : `qemu ${describeExit(exit)}`);
      return finish(0, exit === "stop");
    }
    requested = undefined; // one at a time: another SIGUSR2 now is refused
    const req = takeRequest(paths);
    if ("problem" in req) {
      emit({ suspend: "failed", error: { code: "INTERNAL", message: req.problem } });
      continue;
    }
    if (req.action === "snapshot") {
      await takeSnapshot(req.dir);
      if (opts.stop.aborted) return finish(0, true);
      continue;
    }
    status.ready = false;
    emit({ suspend: "requested", message: `Suspending ${paths.name}` });
    try {
      const record = await suspendVm(suspender);
      status.running = false;
      status.ready = false;
      emit({ suspend: "saved", stateBytes: record.stateBytes, message: `Saved the VM state (${Math.round(record.stateBytes / 1048576)} MiB)` });
      return finish(0, false);
    } catch (e) {
      io.log(`suspend failed: ${(e as Error).message}`);
      status.ready = true;
      emit({ suspend: "failed", message: "suspend failed; the VM keeps running", error: toAgentError(e) });
      if (opts.stop.aborted) return finish(0, true);
    }
  }
}

async function waitForPidFile(paths: InstancePaths, qemu: Supervised, interrupt: () => void): Promise<void> {
  const found = await poll(() => existsSync(paths.qemuPid) || undefined, { timeoutMs: 15_000, intervalMs: 100, beforeAttempt: interrupt });
  // An argv without -pidfile still gets one, so status can see qemu.
  if (found === undefined && qemu.child.pid !== undefined) writeFileSync(paths.qemuPid, `${qemu.child.pid}\n`);
}
