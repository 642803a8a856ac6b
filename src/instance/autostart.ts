import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TslimaError } from "../errors.js";
import { runProgram, type RunResult } from "../proc/run.js";
import { whichSync } from "../proc/which.js";
import { writeFileAtomic } from "../store/atomic.js";
import { tslimaHome } from "../store/paths.js";
import { autostartUnitName, autoStartedUnit, planAutostartUnit, unitHome, userUnitDir, type AutostartInputs } from "./autostart-unit.js";
import { requireInstance } from "./lookup.js";
import { instanceNameProblem } from "./names.js";

// `autostart enable|disable NAME` (Lima's `start-at-login` before 2.2): a systemd user unit that
// runs `limactl start NAME --foreground` when the user's manager starts (at login). Its text is
// planned by autostart-unit.ts; here it is written or removed and systemd told, when it can be.

const LIMACTL = fileURLToPath(new URL("../../../bin/limactl.js", import.meta.url));

export interface AutostartOptions {
  /** TSLIMA_HOME (default: as in effect). */
  home?: string;
  /** Where XDG_CONFIG_HOME, HOME, PATH, TSLIMA_HOME and LIMA_HOME are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface AutostartResult {
  unit: string;
  /** The unit file. */
  path: string;
  /** What happened to the file: enable writes (created/updated), disable removes (removed/absent). */
  file: "created" | "updated" | "removed" | "absent";
  /** systemd was told (daemon-reload and enable/disable ran), or not: `warning` says what to run. */
  systemd: boolean;
  warning?: string;
}

interface Where {
  name: string;
  home: string;
  homeFrom: AutostartInputs["homeFrom"];
  unit: string;
  path: string;
  env: NodeJS.ProcessEnv;
}

function where(name: string, opts: AutostartOptions): Where {
  if (process.platform !== "linux") {
    throw new TslimaError("AUTOSTART_UNSUPPORTED", `autostart is supported on Linux hosts only (systemd user units), not on ${process.platform}`, {
      hint: "start the instance from your session's start-up scripts instead",
    });
  }
  const env = opts.env ?? process.env;
  const homeFrom = opts.home !== undefined || (env.TSLIMA_HOME ?? "") !== "" ? "TSLIMA_HOME" : (env.LIMA_HOME ?? "") !== "" ? "LIMA_HOME" : "default";
  const home = resolve(opts.home ?? tslimaHome(env));
  const problem = instanceNameProblem(name);
  if (problem !== undefined) {
    throw new TslimaError("INVALID_NAME", `invalid instance name ${JSON.stringify(name)}: ${problem}`, { hint: "name an instance `tslima list` shows" });
  }
  const unit = autostartUnitName(name);
  return { name, home, homeFrom, unit, path: join(userUnitDir(env, env.HOME || homedir()), unit), env };
}

/** The unit file's text, or undefined; one that another home or program wrote is AUTOSTART_CONFLICT. */
function ownUnit(w: Where): string | undefined {
  if (!existsSync(w.path)) return undefined;
  const text = readFileSync(w.path, "utf8");
  const owner = unitHome(text);
  if (owner === undefined) {
    throw new TslimaError("AUTOSTART_CONFLICT", `${w.path} exists and was not written by tslima (Lima's own autostart, or made by hand)`, {
      hint: `tslima leaves it alone: disable it where it came from (Lima: limactl autostart disable ${w.name}) or remove the file, then run this again`,
    });
  }
  if (owner !== w.home) {
    throw new TslimaError("AUTOSTART_CONFLICT", `${w.path} starts the instance ${w.name} of another home (TSLIMA_HOME=${owner}), not of ${w.home}`, {
      hint: `one unit per instance name: run \`TSLIMA_HOME=${owner} tslima autostart disable ${w.name}\` first`,
    });
  }
  return text;
}

type Systemctl = (args: string[]) => Promise<RunResult>;

/** systemctl, when it is installed (undefined: the warning says so). */
function systemctl(w: Where): Systemctl | undefined {
  const bin = whichSync("systemctl", w.env.PATH ?? "");
  if (bin === undefined) return undefined;
  return (args) => runProgram(bin, ["--user", ...args], { timeoutMs: 60_000, env: w.env });
}

function lastLine(r: RunResult): string {
  const lines = `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.at(-1) ?? (r.spawnError?.message ?? (r.timedOut ? "timed out" : `exit ${r.code ?? r.signal}`));
}

/** Why systemd could not be told, as one warning that names the file and the commands to run. */
function unreachable(w: Where, why: string, done: string, run: string): string {
  return `${why}: ${done} ${w.path}; ${w.name} is not ${run === "enable" ? "registered with" : "unregistered from"} systemd until you run \`systemctl --user daemon-reload${run === "enable" ? ` && systemctl --user enable ${w.unit}` : ""}\` in a session with a systemd user manager`;
}

/** Writes the unit of instance `name` and enables it (`systemctl --user daemon-reload`, `enable`). */
export async function enableAutostart(name: string, opts: AutostartOptions = {}): Promise<AutostartResult> {
  const w = where(name, opts);
  requireInstance(w.home, name);
  const before = ownUnit(w);
  const text = planAutostartUnit({ name, node: process.execPath, limactl: LIMACTL, home: w.home, homeFrom: w.homeFrom });
  mkdirSync(join(w.path, ".."), { recursive: true, mode: 0o755 });
  writeFileAtomic(w.path, text, { mode: 0o644 });
  const result: AutostartResult = { unit: w.unit, path: w.path, file: before === undefined ? "created" : "updated", systemd: false };
  const run = systemctl(w);
  if (run === undefined) return { ...result, warning: unreachable(w, "systemctl is not installed", "wrote", "enable") };
  const reload = await run(["daemon-reload"]);
  if (reload.code !== 0) return { ...result, warning: unreachable(w, `no systemd user manager answers (systemctl --user daemon-reload: ${lastLine(reload)})`, "wrote", "enable") };
  const enabled = await run(["enable", w.unit]);
  if (enabled.code !== 0) {
    throw new TslimaError("AUTOSTART_FAILED", `systemctl --user enable ${w.unit} failed: ${lastLine(enabled)}`, {
      hint: `the unit file is ${w.path}; see \`systemctl --user status ${w.unit}\`, fix what it says, and run \`tslima autostart enable ${name}\` again`,
    });
  }
  return { ...result, systemd: true };
}

/**
 * Disables and removes the unit of instance `name` (the instance need not exist any more). No unit:
 * `file: "absent"`, nothing done. Without a user manager the file (and its `default.target.wants`
 * link, which `enable` made) is removed and `warning` says what to run.
 */
export async function disableAutostart(name: string, opts: AutostartOptions = {}): Promise<AutostartResult> {
  const w = where(name, opts);
  const result: AutostartResult = { unit: w.unit, path: w.path, file: "removed", systemd: false };
  if (ownUnit(w) === undefined) return { ...result, file: "absent" };
  const run = systemctl(w);
  const reload = run === undefined ? undefined : await run(["daemon-reload"]);
  if (run === undefined || reload?.code !== 0) {
    removeUnit(w);
    const why = reload === undefined ? "systemctl is not installed" : `no systemd user manager answers (systemctl --user daemon-reload: ${lastLine(reload)})`;
    return { ...result, warning: unreachable(w, why, "removed", "disable") };
  }
  const disabled = await run(["disable", w.unit]);
  if (disabled.code !== 0) {
    throw new TslimaError("AUTOSTART_FAILED", `systemctl --user disable ${w.unit} failed: ${lastLine(disabled)}`, {
      hint: `see \`systemctl --user status ${w.unit}\`; the unit file ${w.path} is kept until it can be disabled`,
    });
  }
  removeUnit(w);
  const after = await run(["daemon-reload"]);
  if (after.code !== 0) return { ...result, warning: `removed ${w.path}, but systemctl --user daemon-reload failed: ${lastLine(after)}; run it again` };
  return { ...result, systemd: true };
}

/** The unit file and the `default.target.wants` link to it. */
function removeUnit(w: Where): void {
  const link = join(w.path, "..", "default.target.wants", w.unit);
  try {
    if (lstatSync(link).isSymbolicLink() && resolve(join(link, ".."), readlinkSync(link)) === w.path) rmSync(link);
  } catch {
    // no link
  }
  rmSync(w.path, { force: true });
}

/** `delete`: the instance's unit goes with it (as in Lima); what cannot be done is said, not thrown. */
export async function forgetAutostart(name: string, home: string, say: (m: string) => void): Promise<void> {
  try {
    const r = await disableAutostart(name, { home });
    if (r.file === "removed") say(`removed the autostart unit ${r.unit}`);
    if (r.warning !== undefined) say(`warning: ${r.warning}`);
  } catch (e) {
    // another home's or Lima's unit of the same name is not this instance's; no systemd, no unit
    if (!(e instanceof TslimaError)) throw e;
    if (e.kind === "AUTOSTART_CONFLICT" || e.kind === "AUTOSTART_UNSUPPORTED") return;
    say(`warning: the autostart unit was left: ${e.message}${e.hint ? ` (${e.hint})` : ""}`);
  }
}

/** Lima's `autoStartedIdentifier`: the unit name when the host agent `haPid` runs in the instance's autostart unit. */
export function autoStartedIdentifier(name: string, haPid: number | undefined): string | undefined {
  if (haPid === undefined) return undefined;
  try {
    return autoStartedUnit(readFileSync(`/proc/${haPid}/cgroup`, "utf8"), name);
  } catch {
    return undefined;
  }
}
