import { homedir } from "node:os";
import { TslimaError } from "../errors.js";
// list's formatting: loaded by the list command only, so it may use the whole library.
import { scaleBytes, type InstanceInfo } from "../index.js";

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

/** Bytes as Lima prints them: "4GiB", "512MiB", "1.5GiB". Pure. */
export function humanBytes(n: number): string {
  if (n <= 0) return "?";
  const [v, unit] = scaleBytes(n);
  const s = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, "");
  return `${s}${unit}`;
}

/** A path with the home directory shown as "~". Pure given `home`. */
export function tildePath(p: string, home: string = homedir()): string {
  return home && (p === home || p.startsWith(`${home}/`)) ? `~${p.slice(home.length)}` : p;
}

function lookup(value: unknown, path: string[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    const obj = cur as Record<string, unknown>;
    if (Object.hasOwn(obj, key)) {
      cur = obj[key];
      continue;
    }
    // own fields only: {{.constructor}} is no field, not Object's constructor
    const found = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
    cur = found === undefined ? undefined : obj[found];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return v.toString();
  return JSON.stringify(v);
}

/**
 * A small subset of Go's text/template, enough for `list --format`: `{{.Field}}`, `{{.A.B}}`
 * (field names match case-insensitively, so Lima's `{{.Name}}`/`{{.SSHLocalPort}}` work),
 * `{{json .}}`, `{{json .Field}}`, and the escapes \t and \n. Pure.
 */
export function renderFormat(format: string, value: unknown): string {
  const text = format.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  return text.replace(/\{\{-?\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*-?\}\}/g, (_m, json: string | undefined, path: string) => {
    const v = path === "" ? value : lookup(value, path.split("."));
    return json ? JSON.stringify(v) : show(v);
  });
}

/** Rejects templates with actions we do not understand, instead of printing them raw. Pure. */
export function checkFormat(format: string): void {
  const actions = format.match(/\{\{[^}]*\}\}/g) ?? [];
  const bad = actions.filter((a) => !/^\{\{-?\s*(json\s+)?\.[A-Za-z0-9_.]*\s*-?\}\}$/.test(a));
  if (bad.length > 0) {
    throw new TslimaError("INVALID_FORMAT", `unsupported --format action ${bad[0]}`, {
      hint: "use {{.Field}}, {{.A.B}} or {{json .}}; fields: name, status, dir, arch, cpus, memory, disk, sshLocalPort",
    });
  }
}

/** The rows of `tslima list`'s table. */
export function listRows(list: InstanceInfo[]): string[][] {
  return list.map((i) => [
    i.name,
    i.status,
    i.sshLocalPort > 0 ? `127.0.0.1:${i.sshLocalPort}` : "127.0.0.1:0",
    i.arch,
    String(i.cpus),
    humanBytes(i.memory),
    humanBytes(i.disk),
    tildePath(i.dir),
  ]);
}
