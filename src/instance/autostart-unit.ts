import { TslimaError } from "../errors.js";

/**
 * `autostart enable NAME`'s systemd user unit (Lima 2.2's unit name, `lima-vm@NAME.service`): its
 * name, where it goes, its text, and how to tell a unit tslima wrote for a home from any other. Pure.
 */

/** The unit of instance `name`, as Lima names it. */
export function autostartUnitName(name: string): string {
  return `lima-vm@${name}.service`;
}

/**
 * The directory of user units: `$XDG_CONFIG_HOME/systemd/user`, or `~/.config/systemd/user` when it
 * is unset, empty or relative (the XDG rule: a relative value is ignored).
 */
export function userUnitDir(env: { XDG_CONFIG_HOME?: string | undefined }, homeDir: string): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && xdg.startsWith("/") ? xdg.replace(/\/+$/, "") || "/" : `${homeDir.replace(/\/+$/, "")}/.config`;
  return `${base === "/" ? "" : base}/systemd/user`;
}

/** What the unit is made of: all absolute paths, found by the caller. */
export interface AutostartInputs {
  name: string;
  /** The node binary that runs tslima (process.execPath). */
  node: string;
  /** This package's bin/limactl.js. */
  limactl: string;
  /** The TSLIMA_HOME in effect, absolute. */
  home: string;
  /** Which variable gave the home: LIMA_HOME is then set to it too (plugins read it); "default" is ~/.tslima. */
  homeFrom: "TSLIMA_HOME" | "LIMA_HOME" | "default";
}

/** The first line of the marker comment; the home follows it as a JSON string. */
const MARKER = "# tslima-home: ";

/** How long the unit gives `stop` (the agent's powerdown, up to 2 min, and its kill) before SIGKILL. */
export const AUTOSTART_STOP_TIMEOUT_S = 150;

/**
 * One word of an Exec or Environment line, as systemd reads it back: `%` doubled (specifiers), `$`
 * doubled in Exec lines (variable expansion), and double quotes with C escapes when it holds a blank,
 * a quote or a backslash. A control character cannot be written: INVALID_OPTION naming `what`.
 */
export function systemdWord(word: string, what: string, exec: boolean): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(word)) {
    throw new TslimaError("AUTOSTART_FAILED", `${what} ${JSON.stringify(word)} holds a control character, which a systemd unit cannot carry`, {
      hint: `use a ${what} without newlines or tabs`,
    });
  }
  let w = word.replace(/%/g, "%%");
  if (exec) w = w.replace(/\$/g, "$$$$");
  if (w !== "" && !/[\s"'\\;]/.test(w)) return w;
  return `"${w.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The unit's text: `limactl start NAME --foreground` as a simple service, stopped by SIGTERM to it (the agent's stop). */
export function planAutostartUnit(i: AutostartInputs): string {
  const exec = (...words: string[]) => [systemdWord(i.node, "node path", true), systemdWord(i.limactl, "tslima path", true), ...words].join(" ");
  const env = (k: string) => `Environment=${systemdWord(`${k}=${i.home}`, "TSLIMA_HOME", false)}`;
  return [
    `# Written by \`tslima autostart enable ${i.name}\`; \`tslima autostart disable ${i.name}\` removes it.`,
    `${MARKER}${JSON.stringify(i.home)}`,
    "[Unit]",
    `Description=tslima instance ${i.name} (a Linux VM on QEMU)`,
    // checked at each start and restart: a deleted instance is not made again from template:NAME
    `ConditionPathExists=${i.home.replace(/%/g, "%%").replace(/\/+$/, "")}/${i.name}/lima.yaml`,
    // a boot that keeps failing is not retried all day (Restart=on-failure below)
    "StartLimitIntervalSec=1h",
    "StartLimitBurst=3",
    "",
    "[Service]",
    "Type=simple",
    // the host agent runs in this process (the main pid) and powers the guest off on SIGTERM; QEMU
    // and virtiofsd are signalled by it only, so that they outlive an agent that dies, as outside
    // systemd, and the restart re-attaches to the running guest (issue 25)
    `ExecStart=${exec("start", i.name, "--foreground")}`,
    "KillMode=process",
    `TimeoutStopSec=${AUTOSTART_STOP_TIMEOUT_S}`,
    env("TSLIMA_HOME"),
    ...(i.homeFrom === "LIMA_HOME" ? [env("LIMA_HOME")] : []),
    "WorkingDirectory=%h",
    "Restart=on-failure",
    "RestartSec=30",
    // `stop -f` (and `delete -f`) kill the agent: that is no failure to restart from
    "RestartPreventExitStatus=SIGKILL",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/** The home a unit tslima wrote starts its instance from; undefined for any other unit (Lima's, hand-made). */
export function unitHome(text: string): string | undefined {
  const line = text.split("\n").find((l) => l.startsWith(MARKER));
  if (line === undefined) return undefined;
  try {
    const home: unknown = JSON.parse(line.slice(MARKER.length));
    return typeof home === "string" ? home : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The instance's autostart unit when `cgroup` (a process's /proc/PID/cgroup) puts the process in it:
 * Lima's `autoStartedIdentifier`. Undefined for any other cgroup.
 */
export function autoStartedUnit(cgroup: string, name: string): string | undefined {
  const unit = autostartUnitName(name);
  for (const line of cgroup.split("\n")) {
    const path = line.split(":").slice(2).join(":");
    if (path.split("/").includes(unit)) return unit;
  }
  return undefined;
}
