import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { TslimaError } from "../errors.js";
import { outcomeOf, type AgentEvent, type Outcome } from "../hostagent/events.js";
import { runHostAgent } from "../hostagent/agent.js";
import { formatEvent } from "../hostagent/events.js";
import { instancePaths, tslimaHome, type InstancePaths } from "./paths.js";
import { acquireLock } from "./lock.js";
import { inspectStatus } from "./status.js";
import { isAlive } from "./pidfile.js";
import { createInstance, editInstance, isLocator, type CreateOptions } from "./create.js";
import { EventFollower } from "./follow.js";
import { forceStop } from "./stop.js";
import { validateInstanceName } from "./names.js";
import { appendFileSync } from "node:fs";

export interface StartOptions extends CreateOptions {
  /** Give up (and stop the boot) after this long; default 10 minutes. */
  timeoutMs?: number;
  /** Run the host agent in this process; resolves only when the VM stops. */
  foreground?: boolean;
  /** Abort = stop the boot (Ctrl-C); the instance is left Stopped. */
  signal?: AbortSignal;
  /** Every agent event, as it arrives. */
  onEvent?: (e: AgentEvent) => void;
  /** Human messages (waiting for a lock, cleaning up a broken instance). */
  onMessage?: (m: string) => void;
}

export interface Started {
  name: string;
  paths: InstancePaths;
  alreadyRunning: boolean;
  events: AgentEvent[];
}

const AGENT_MAIN = fileURLToPath(new URL("../hostagent/main.js", import.meta.url));

/** Resolves `start`'s argument to an instance, creating it from a locator (or template:default) when needed. */
async function ensureInstance(target: string, opts: StartOptions, home: string, say: (m: string) => void, warn: (w: string) => void): Promise<InstancePaths> {
  if (!isLocator(target)) {
    const name = validateInstanceName(opts.name ?? target);
    const paths = instancePaths(home, name);
    if (existsSync(paths.limaYaml)) {
      const warnings = editInstance(home, paths, readFileSync(paths.limaYaml, "utf8"), opts, opts.cwd ?? process.cwd());
      warnings.forEach(warn);
      return paths;
    }
    say(`creating instance ${name} from template:default`);
    return (await createInstance("template:default", { ...opts, name, home })).paths;
  }
  const created = await createInstance(target, { ...opts, home });
  created.warnings.forEach(warn);
  return created.paths;
}

function withoutShownWarning(e: AgentEvent, shown: Set<string>): AgentEvent {
  if (e.warning === undefined || !shown.has(e.warning)) return e;
  const { warning: _shown, ...rest } = e;
  return rest;
}

/** Boots an instance (creating it first when given a locator) and resolves once the guest is ready. */
export async function startInstance(target: string, options: StartOptions = {}): Promise<Started> {
  const home = options.home ?? tslimaHome();
  const say = options.onMessage ?? (() => undefined);
  // the host agent loads lima.yaml again and reports the same configuration warnings: each is shown once
  const shown = new Set<string>();
  const warn = (w: string) => {
    shown.add(w);
    say(`warning: ${w}`);
  };
  const onEvent = options.onEvent;
  const opts: StartOptions = onEvent ? { ...options, onEvent: (e) => onEvent(withoutShownWarning(e, shown)) } : options;
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const paths = await ensureInstance(target, opts, home, say, warn);
  const lock = await acquireLock(paths.lock, {
    timeoutMs,
    onWait: (pid) => say(`waiting for another tslima process (pid ${pid}) that is starting ${paths.name}`),
  });
  try {
    const st = inspectStatus(paths);
    if (st.status === "Running") {
      say(`instance ${paths.name} is already running`);
      return { name: paths.name, paths, alreadyRunning: true, events: [] };
    }
    if (st.status === "Broken") say(`instance ${paths.name} is Broken (${st.reason}): stopping what is left`);
    await forceStop(paths);
    closeSync(openSync(paths.haStdoutLog, "w"));
    closeSync(openSync(paths.haStderrLog, "w"));
    const events: AgentEvent[] = [];
    if (opts.foreground) {
      await runForeground(paths, opts, events, () => lock.release());
      return { name: paths.name, paths, alreadyRunning: false, events };
    }
    await runDetached(paths, opts, timeoutMs, events);
    return { name: paths.name, paths, alreadyRunning: false, events };
  } finally {
    lock.release();
  }
}

function failure(paths: InstancePaths, o: Outcome): TslimaError {
  const text = o.event.status.errors?.join("\n") ?? "the host agent exited before the guest was ready";
  // The agent's error may carry its own hint ("...\nhint: ..."): keep it, and add where the logs are.
  const at = text.indexOf("\nhint: ");
  const reason = at >= 0 ? text.slice(0, at) : text;
  const agentHint = at >= 0 ? `${text.slice(at + "\nhint: ".length)}\n      ` : "";
  const tail = o.event.logTail && o.event.logTail.length > 0 ? `\n${o.event.logTail.join("\n")}` : "";
  return new TslimaError("START_FAILED", `starting ${paths.name} failed: ${reason}${tail}`, {
    hint: `${agentHint}logs: ${paths.haStderrLog} and ${paths.serialLog}`,
  });
}

async function runDetached(paths: InstancePaths, opts: StartOptions, timeoutMs: number, events: AgentEvent[]): Promise<void> {
  const out = openSync(paths.haStdoutLog, "a");
  const err = openSync(paths.haStderrLog, "a");
  const child = spawn(process.execPath, [AGENT_MAIN, paths.dir], { detached: true, stdio: ["ignore", out, err] });
  closeSync(out);
  closeSync(err);
  let agentExited = false;
  child.once("exit", () => (agentExited = true));
  child.unref();
  const pid = child.pid;
  const follower = new EventFollower(paths.haStdoutLog);
  const deadline = Date.now() + timeoutMs;
  const stopAgent = async () => {
    if (pid !== undefined && isAlive(pid)) process.kill(pid, "SIGTERM");
    for (let i = 0; i < 600 && pid !== undefined && isAlive(pid) && !agentExited; i++) await sleep(200);
  };
  for (;;) {
    for (const e of follower.poll()) {
      events.push(e);
      opts.onEvent?.(e);
      const o = outcomeOf(e);
      if (o?.kind === "ready") return;
      if (o) {
        await waitExit(pid, () => agentExited, 60_000);
        throw failure(paths, o);
      }
    }
    if (opts.signal?.aborted) {
      await stopAgent();
      throw new TslimaError("INTERRUPTED", `the start of ${paths.name} was interrupted; the instance is stopped`);
    }
    if (Date.now() > deadline) {
      await stopAgent();
      throw new TslimaError("TIMEOUT", `${paths.name} was not ready within ${Math.round(timeoutMs / 1000)}s; the boot was stopped`, {
        hint: `pass a longer --timeout, and see ${paths.serialLog} and ${paths.haStderrLog}`,
      });
    }
    if (agentExited || (pid !== undefined && !isAlive(pid))) {
      for (const e of follower.poll()) events.push(e);
      const last = [...events].reverse().find((e) => outcomeOf(e) !== undefined);
      throw failure(paths, last ? outcomeOf(last)! : { kind: "exited", event: { time: "", status: { errors: [`the host agent exited unexpectedly; see ${paths.haStderrLog}`] } } });
    }
    await sleep(200);
  }
}

async function waitExit(pid: number | undefined, exited: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pid !== undefined && !exited() && isAlive(pid) && Date.now() < deadline) await sleep(200);
}

/** --foreground: the agent runs here; resolves when the VM stops. The lock is released once ready. */
async function runForeground(paths: InstancePaths, opts: StartOptions, events: AgentEvent[], releaseLock: () => void): Promise<void> {
  const stop = new AbortController();
  opts.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  let failed: Outcome | undefined;
  const code = await runHostAgent(
    paths.dir,
    {
      emit: (e) => {
        const line = formatEvent(e);
        appendFileSync(paths.haStdoutLog, line);
        const ev = JSON.parse(line) as AgentEvent;
        events.push(ev);
        opts.onEvent?.(ev);
        const o = outcomeOf(ev);
        if (o?.kind === "ready") releaseLock();
        if (o?.kind === "failed") failed = o;
      },
      log: (m) => appendFileSync(paths.haStderrLog, `${new Date().toISOString()} ${m}\n`),
    },
    { stop: stop.signal },
  );
  if (failed && code !== 0) throw failure(paths, failed);
}
