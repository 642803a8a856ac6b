import { closeSync, existsSync, readFileSync, rmSync } from "node:fs";
import { startChild } from "../proc/child.js";
import { fileURLToPath } from "node:url";
import { TslimaError } from "../errors.js";
import { outcomeOf, type AgentEvent, type Outcome } from "../store/events.js";
import { parseEvent } from "../store/event-parse.js";
import { fromAgentError } from "../store/agent-error.js";
import { runHostAgent } from "../hostagent/agent.js";
import { agentArgs } from "../hostagent/agent-io.js";
import { formatEvent } from "../store/events.js";
import { instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { acquireLock } from "../store/lock.js";
import { openAgentLog } from "../store/agent-log.js";
import { ensurePrivateHome, requirePrivateDir } from "../store/private.js";
import { inspectStatus } from "../store/status.js";
import { isAlive, signalProcess, waitGone } from "../proc/pid.js";
import { poll } from "../proc/wait.js";
import { StartDeadline } from "./start-deadline.js";
import { createRequested, editInstance, isLocator, libraryOptions, type CreateOptions, type CreateRequest } from "./create.js";
import { EventFollower, readEvents } from "../store/follow.js";
import { forceStop } from "./stop.js";
import { validateInstanceName } from "./names.js";
import { ensureDockerContext } from "./docker-context.js";
import { appendFileSync } from "node:fs";
import { loadConfigText } from "../config/index.js";
import { probeHostFacts } from "../host/facts.js";
import { defaultStartTimeoutMs, isEmulated } from "../qemu/index.js";

/** How to start an instance: the one options type of `Instance.start`, `startInstance` and `shell --start`. */
export interface StartOptions {
  /** Give up (and stop the boot) after this long; default 10 minutes (30 for an emulated guest). */
  timeoutMs?: number;
  /** Aborting stops the boot; start then rejects with INTERRUPTED and the instance is Stopped. */
  signal?: AbortSignal;
  /** Every event of the host agent (boot steps, progress, warnings, ready), as it arrives. */
  onEvent?: (e: AgentEvent) => void;
  /** Human messages (waiting for a lock, cleaning up a broken instance). */
  onMessage?: (m: string) => void;
  /**
   * The host agent's environment, which QEMU, the mount daemons and ssh inherit (e.g. `HOME`, which
   * `~` in mount locations expands to); default this process's, as for the CLI.
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Run the host agent, and so QEMU and the mount daemons, as this host user (this process must be
   * root). The instance's directory and its TSLIMA_HOME must be theirs (chown them after `create`);
   * the agent then writes everything else itself. Commands and stop/dispose still work from here.
   */
  user?: { uid: number; gid: number };
  /**
   * A docker instance (its config forwards a guest docker.sock) gets the host docker CLI context
   * `tslima-NAME`; it is made current unless this is false (Colima's --activate). The docker CLI runs
   * with `env` (DOCKER_CONFIG, HOME).
   */
  activate?: boolean;
  /**
   * Lima's `start --progress`: while the guest's boot setup runs, its output (cloud-init's, this
   * boot's) arrives as message events "[cloud-init] LINE" (onEvent; the CLI prints them).
   */
  progress?: boolean;
}

/**
 * `startInstance`'s request: the start options, and for an instance it creates (or edits) first the
 * create request; `foreground` runs the host agent in this process (resolves when the VM stops).
 */
export interface StartRequest extends StartOptions, CreateRequest {
  foreground?: boolean;
}

export interface Started {
  name: string;
  paths: InstancePaths;
  alreadyRunning: boolean;
  events: AgentEvent[];
  /** The config's `message`, filled by the agent (from its READY event); "" when there is none. */
  message: string;
}

/**
 * The instanceMessage of the boot's READY event among `events` (one boot's log), or "". Events after
 * READY (port forwards, ...) carry the ready status too, but not the message: the first one counts. Pure.
 */
export function readyMessage(events: AgentEvent[]): string {
  const ready = events.find((e) => e.kind === "ready");
  return ready?.kind === "ready" ? (ready.instanceMessage ?? "") : "";
}

const AGENT_MAIN = fileURLToPath(new URL("../hostagent/main.js", import.meta.url));

/** Resolves `start`'s argument to an instance, creating it from a locator (or template:default) when needed. */
async function ensureInstance(target: string, opts: StartRequest, home: string, say: (m: string) => void): Promise<InstancePaths> {
  if (!isLocator(target)) {
    const name = validateInstanceName(opts.name ?? target);
    const paths = instancePaths(home, name);
    if (existsSync(paths.limaYaml)) {
      editInstance(home, paths, readFileSync(paths.limaYaml, "utf8"), opts);
      return paths;
    }
    say(`creating instance ${name} from template:default`);
    return (await createRequested("template:default", { ...opts, name, home })).paths;
  }
  return (await createRequested(target, { ...opts, home })).paths;
}

/** Whether the instance's guest runs emulated on this host (its arch is not the host's); false when lima.yaml cannot be read. */
function emulated(paths: InstancePaths, home: string): boolean {
  try {
    const hostFacts = probeHostFacts(home);
    const { config } = loadConfigText(readFileSync(paths.limaYaml, "utf8"), paths.limaYaml, { hostFacts, tslimaHome: home, instanceName: paths.name });
    return isEmulated(config.arch, hostFacts.arch);
  } catch {
    return false; // the agent reports what is wrong with lima.yaml
  }
}

/** Boots an instance (creating it first when given a locator) and resolves once the guest is ready. */
export function startInstance(target: string, options: StartOptions & CreateOptions = {}): Promise<Started> {
  return startRequested(target, libraryOptions(options));
}

/** startInstance for the CLI: with --foreground, its --set expressions and flag names. */
export async function startRequested(target: string, options: StartRequest = {}): Promise<Started> {
  const home = options.home ?? tslimaHome();
  if (options.foreground && (options.env !== undefined || options.user !== undefined)) {
    throw new TslimaError("INVALID_FLAG", "env and user apply to a detached host agent, not to a foreground one", { hint: "start it detached" });
  }
  const say = options.onMessage ?? (() => undefined);
  // The config's warnings reach the caller once, as the agent's warning events: the agent loads
  // lima.yaml on every start; create and edit here only validate what they write.
  const opts = options;
  ensurePrivateHome(home);
  const paths = await ensureInstance(target, opts, home, say);
  requirePrivateDir(paths.dir, "instance directory");
  const timeoutMs = opts.timeoutMs ?? defaultStartTimeoutMs(emulated(paths, home));
  const lock = await acquireLock(paths.lock, {
    timeoutMs,
    onWait: (pid) => say(`waiting for another tslima process (pid ${pid}) that is starting ${paths.name}`),
  });
  try {
    const st = inspectStatus(paths);
    if (st.status === "Running") {
      say(`instance ${paths.name} is already running`);
      return { name: paths.name, paths, alreadyRunning: true, events: [], message: readyMessage(readEvents(paths.haStdoutLog)) };
    }
    // QEMU without its agent (the agent died): the new agent re-attaches to it (hostagent/attach.ts)
    // or, when it may not, powers it off; only the dead agent's pid file goes
    if (st.status === "Broken" && st.qemuPid !== undefined && st.haPid === undefined) {
      say(`instance ${paths.name} runs without its host agent (QEMU pid ${st.qemuPid}): re-attaching to it`);
      rmSync(paths.haPid, { force: true });
    } else {
      if (st.status === "Broken") say(`instance ${paths.name} is Broken (${st.reason}): stopping what is left`);
      await forceStop(paths);
    }
    // the agent's user must be able to start the instance again later (which truncates its logs)
    for (const log of [paths.haStdoutLog, paths.haStderrLog]) closeSync(openAgentLog(log, { truncate: true, ...(opts.user ? { owner: opts.user } : {}) }));
    const events: AgentEvent[] = [];
    if (opts.foreground) {
      await runForeground(paths, opts, events, () => lock.release());
      return { name: paths.name, paths, alreadyRunning: false, events, message: readyMessage(events) };
    }
    await runDetached(paths, opts, timeoutMs, events);
    const ready = events.find((e) => e.kind === "ready");
    const dockerSocket = ready?.kind === "ready" ? ready.dockerSocket : undefined;
    if (dockerSocket !== undefined) {
      await ensureDockerContext(paths, dockerSocket, { env: opts.env ?? process.env, say, ...(opts.activate !== undefined ? { activate: opts.activate } : {}) });
    }
    return { name: paths.name, paths, alreadyRunning: false, events, message: readyMessage(events) };
  } finally {
    lock.release();
  }
}

/** The agent's failure, rethrown with its own code and hint (START_FAILED only when it said nothing). */
export function startFailure(paths: InstancePaths, o: Outcome): TslimaError {
  const said = (o.event.kind === "failed" ? o.event.error : undefined) ?? { code: "START_FAILED", message: o.event.status.errors?.join("\n") ?? "the host agent exited before the guest was ready" };
  return fromAgentError(said, `starting ${paths.name} failed`, `logs: ${paths.haStderrLog} and ${paths.serialLog}`);
}

/** How often a detached start reads the agent's event log: READY is seen this much after it is written, at worst. */
const READY_POLL_MS = 50;

async function runDetached(paths: InstancePaths, opts: StartRequest, timeoutMs: number, events: AgentEvent[]): Promise<void> {
  const out = openAgentLog(paths.haStdoutLog);
  const err = openAgentLog(paths.haStderrLog);
  const child = startChild(process.execPath, [AGENT_MAIN, ...agentArgs(paths.dir, opts)], {
    detached: true,
    stdio: ["ignore", out, err],
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
  });
  closeSync(out);
  closeSync(err);
  let agentExited = false;
  child.once("exit", () => (agentExited = true));
  child.unref();
  const pid = child.pid;
  const agentGone = (ms: number) => (pid === undefined ? Promise.resolve(true) : waitGone(pid, ms));
  const stopAgent = async () => {
    if (pid !== undefined) signalProcess(pid, "SIGTERM");
    await agentGone(120_000);
  };
  const follower = new EventFollower(paths.haStdoutLog);
  const deadline = new StartDeadline(timeoutMs);
  const next = (): Outcome | undefined => {
    for (const e of follower.poll()) {
      events.push(e);
      deadline.see(e);
      opts.onEvent?.(e);
      const o = outcomeOf(e);
      if (o) return o;
    }
    return undefined;
  };
  let outcome: Outcome | "timeout" | undefined;
  try {
    outcome = await poll(
      () => {
        const o = next();
        if (o === undefined && deadline.expired()) return "timeout";
        if (o !== undefined || !(agentExited || (pid !== undefined && !isAlive(pid)))) return o;
        for (const e of follower.poll()) events.push(e);
        const last = [...events].reverse().find((e) => outcomeOf(e) !== undefined);
        throw startFailure(paths, last ? outcomeOf(last)! : { kind: "exited", event: { time: "", status: { errors: [`the host agent exited unexpectedly; see ${paths.haStderrLog}`] }, kind: "other" } });
      },
      { timeoutMs: Infinity, intervalMs: READY_POLL_MS, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
  } catch (e) {
    if (!opts.signal?.aborted) throw e;
    await stopAgent();
    throw new TslimaError("INTERRUPTED", `the start of ${paths.name} was interrupted; the instance is stopped`);
  }
  if (outcome === undefined || outcome === "timeout") {
    await stopAgent();
    throw new TslimaError("TIMEOUT", `${paths.name} was not ready within ${Math.round(timeoutMs / 1000)}s (not counting the image's download or build); the boot was stopped`, {
      hint: `pass a longer --timeout, and see ${paths.serialLog} and ${paths.haStderrLog}`,
    });
  }
  if (outcome.kind === "ready") return;
  await agentGone(60_000);
  throw startFailure(paths, outcome);
}

/** --foreground: the agent runs here; resolves when the VM stops. The lock is released once ready. */
async function runForeground(paths: InstancePaths, opts: StartRequest, events: AgentEvent[], releaseLock: () => void): Promise<void> {
  const stop = new AbortController();
  opts.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  let failed: Outcome | undefined;
  const code = await runHostAgent(
    paths.dir,
    {
      emit: (e) => {
        const line = formatEvent(e);
        appendFileSync(paths.haStdoutLog, line);
        const ev = parseEvent(line);
        if (ev === undefined) return;
        events.push(ev);
        opts.onEvent?.(ev);
        const o = outcomeOf(ev);
        if (o?.kind === "ready") releaseLock();
        if (o?.kind === "failed") failed = o;
      },
      log: (m) => appendFileSync(paths.haStderrLog, `${new Date().toISOString()} ${m}\n`),
    },
    { stop: stop.signal, ...(opts.progress === true ? { progress: true } : {}) },
  );
  if (failed && code !== 0) throw startFailure(paths, failed);
}
