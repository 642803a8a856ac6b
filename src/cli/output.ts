import { homedir } from "node:os";
// list's formatting: loaded by the list command only, so it may use the whole library.
import { bytesSize, type InstanceInfo } from "../internal.js";

export { parseDuration } from "./duration.js";

/** Renders rows as a left-aligned table with a header, columns separated by 4 spaces. Pure. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("    ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** A path with the home directory shown as "~". Pure given `home`. */
export function tildePath(p: string, home: string = homedir()): string {
  return home && (p === home || p.startsWith(`${home}/`)) ? `~${p.slice(home.length)}` : p;
}

/** Table columns Lima may leave out on a narrow terminal (never with --all-fields or when not a terminal). */
export interface TableOptions {
  allFields?: boolean;
  /** Terminal width; 0 or undefined when stdout is no terminal (every column shown). */
  width?: number;
  /** The host's arch: ARCH is hidden on a narrow terminal only when every instance has it. */
  hostArch?: string;
  home?: string;
}

/**
 * `list`'s table, as Lima's: NAME STATUS SSH VMTYPE ARCH CPUS MEMORY DISK DIR, where a narrow terminal
 * drops VMTYPE (when all instances share it), ARCH (when all are the host's) and DIR, in that order,
 * with 8 columns per field counted as Lima does. Pure.
 */
export function listTable(list: InstanceInfo[], o: TableOptions = {}): string {
  const width = o.width ?? 0;
  const narrow = (fields: number) => width !== 0 && !o.allFields && fields * 8 > width;
  let cols = 5; // NAME 1, STATUS 2, SSH 2
  const hideType = narrow(cols + 7) && new Set(list.map((i) => i.vmType)).size === 1;
  if (!hideType) cols++;
  const hideArch = narrow(cols + 6) && new Set(list.map((i) => i.arch)).size === 1 && list[0]?.arch === o.hostArch;
  if (!hideArch) cols++;
  cols += 3;
  const hideDir = narrow(cols + 2);
  const keep = (name: string) => !(name === "VMTYPE" && hideType) && !(name === "ARCH" && hideArch) && !(name === "DIR" && hideDir);
  const header = ["NAME", "STATUS", "SSH", "VMTYPE", "ARCH", "CPUS", "MEMORY", "DISK", "DIR"];
  const rows = list.map((i) => [
    i.name,
    i.status,
    `${i.config ? "127.0.0.1" : ""}:${i.sshLocalPort}`,
    i.config ? i.vmType : "",
    i.arch === "?" ? "" : i.arch,
    String(i.cpus),
    bytesSize(i.memory),
    bytesSize(i.disk),
    tildePath(i.dir, o.home),
  ]);
  const idx = header.map((h, n) => (keep(h) ? n : -1)).filter((n) => n >= 0);
  return table(
    idx.map((n) => header[n] ?? ""),
    rows.map((r) => idx.map((n) => r[n] ?? "")),
  );
}
