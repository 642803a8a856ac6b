/**
 * The file-system semantics probe the mount tests share: the same operations on every mount (as root
 * in the guest), then what the host sees, collected into one row per mount and printed as a table.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Cli } from "./harness.js";

/** key -> "ok:<output>" or "fail:<output>", one line each (tab separated). */
export type Probe = Record<string, string>;

const HELPERS = `
r() { k=$1; shift; if o=$("$@" 2>&1); then s=ok; else s=fail; fi; set -f; set -- $o; set +f; printf '%s\\t%s:%s\\n' "$k" "$s" "$*"; }
`;

/** Guest side (root, sh -s -- MOUNTPOINT): every operation on MOUNTPOINT/p. */
export const GUEST_PROBE = `${HELPERS}
D="$1"; P="$D/p"
rm -rf "$P" 2>/dev/null
r mkdir mkdir "$P"
r write sh -c 'echo from-guest > "$1/gw.txt"' - "$P"
r hostwrite cat "$D/host-write.txt"
r hostlink readlink "$D/host-link"
r hostlinkcat cat "$D/host-link"
r touch touch "$P/own"
r chown chown 1234:2345 "$P/own"
r owner stat -c %u:%g "$P/own"
r symlink ln -s gw.txt "$P/gl"
r symlinkread readlink "$P/gl"
r symlinkcat cat "$P/gl"
touch "$P/m"
r chmod chmod 640 "$P/m"
r mode stat -c %a "$P/m"
echo x > "$P/f"
r hardlink ln "$P/f" "$P/f2"
r nlink stat -c %h "$P/f"
echo a > "$P/ra"; echo b > "$P/rb"
r rename mv -f "$P/ra" "$P/rb"
r renamed cat "$P/rb"
`;

/** Guest side after a remount: is what the first probe did still there? */
export const GUEST_REPROBE = `${HELPERS}
D="$1"; P="$D/p"
r owner2 stat -c %u:%g "$P/own"
r symlinkread2 readlink "$P/gl"
r mode2 stat -c %a "$P/m"
`;

export function parseProbe(stdout: string): Probe {
  const out: Probe = {};
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("\t");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Runs a probe script as root in the guest. */
export async function guestProbe(cli: Cli, name: string, mountPoint: string, script = GUEST_PROBE): Promise<Probe> {
  const r = await cli.run(["shell", "--workdir", "/", name, "sudo", "sh", "-s", "--", mountPoint], { input: script, timeoutMs: 180_000 });
  if (r.code !== 0 && r.stdout.trim() === "") throw new Error(`probe of ${mountPoint} failed (${r.code}): ${r.stderr}`);
  return parseProbe(r.stdout);
}

/**
 * Guest side (root, sh -s -- MOUNTPOINT...): for each mount point in one session, GUEST_PROBE, a
 * remount (the shell function `remount MOUNTPOINT`, defined before it), then GUEST_REPROBE. A line
 * "@<TAB>MOUNTPOINT" starts a mount's output, "@again" its part after the remount, whose result is
 * the key "remount".
 */
export const GUEST_PROBE_REMOUNT = `
probe() {
${GUEST_PROBE}
}
reprobe() {
${GUEST_REPROBE}
}
for M; do
  printf '@\\t%s\\n' "$M"
  probe "$M"
  echo @again
  r remount remount "$M"
  reprobe "$M"
done
`;

/**
 * The default remount of GUEST_PROBE_REMOUNT: as the guest's fstab has it. While the umount finds the
 * mount busy (with mountInotify the guest program may still be raising the host's view of the probe's
 * changes there) it is tried again, for up to 10 s; how many times is printed ("busy N").
 */
export const FSTAB_REMOUNT = `remount() {
  i=0
  while ! umount "$1" 2>/dev/null; do
    i=$((i+1)); [ $i -le 20 ] || { umount "$1"; return 1; }
    sleep 0.5
  done
  [ $i = 0 ] || echo "busy $i"
  mount "$1"
}`;

/**
 * Runs GUEST_PROBE_REMOUNT as root on every mount point with one guest session: mount point -> the
 * probe before and after the remount (with "remount": "ok:" and its output, or "fail:" and why).
 * `remount` defines the shell function `remount MOUNTPOINT` (FSTAB_REMOUNT when not given).
 */
export async function guestProbeRemountAll(cli: Cli, name: string, mountPoints: string[], remount = FSTAB_REMOUNT): Promise<Map<string, { guest: Probe; again: Probe }>> {
  const r = await cli.run(["shell", "--workdir", "/", name, "sudo", "sh", "-s", "--", ...mountPoints], { input: `${remount}\n${GUEST_PROBE_REMOUNT}`, timeoutMs: 20 * 60_000 });
  if (r.code !== 0 && r.stdout.trim() === "") throw new Error(`probe of ${mountPoints.join(", ")} failed (${r.code}): ${r.stderr}`);
  const out = new Map<string, { guest: Probe; again: Probe }>();
  for (const part of r.stdout.split("@\t").slice(1)) {
    const nl = part.indexOf("\n");
    const [before = "", after = ""] = part.slice(nl + 1).split("@again\n");
    out.set(part.slice(0, nl), { guest: parseProbe(before), again: parseProbe(after) });
  }
  return out;
}

/** Host side, before the probe: a file and a symlink to it, made on the host. */
export function hostPrepare(location: string): void {
  writeFileSync(join(location, "host-write.txt"), "from-host\n", { mode: 0o644 });
  rmSync(join(location, "host-link"), { force: true });
  symlinkSync("host-write.txt", join(location, "host-link"));
}

/** user.virtfs.* extended attributes of a host file (mapped-xattr keeps guest ownership there). */
export function virtfsXattrs(path: string): string {
  const r = spawnSync("getfattr", ["--absolute-names", "-d", "-m", "^user\\.virtfs\\.", "-e", "hex", path], { encoding: "utf8" });
  if (r.status !== 0) return "";
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("user.virtfs."))
    .map((l) => {
      const [k = "", v = ""] = l.split("=");
      // 4-byte little-endian numbers (uid, gid, mode)
      const n = /^0x([0-9a-f]{8})$/.exec(v);
      const value = n ? Buffer.from(n[1] ?? "", "hex").readUInt32LE(0) : v;
      return `${k.replace("user.virtfs.", "")}=${k.endsWith("mode") && typeof value === "number" ? value.toString(8) : String(value)}`;
    })
    .join(",");
}

export interface HostView {
  gw: string;
  owner: string;
  ownerMeta: string;
  gl: string;
  mode: string;
  nlink: string;
  renamed: string;
}

/** Host side, after the probe: what the operations left in LOCATION/p. */
export function hostObserve(location: string): HostView {
  const p = join(location, "p");
  const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8").trim() : "(missing)");
  const v: HostView = { gw: read(join(p, "gw.txt")), owner: "", ownerMeta: "", gl: "", mode: "", nlink: "", renamed: read(join(p, "rb")) };
  try {
    const s = statSync(join(p, "own"));
    v.owner = `${s.uid}:${s.gid}`;
  } catch {
    v.owner = "(missing)";
  }
  const x = virtfsXattrs(join(p, "own"));
  const metaFile = join(p, ".virtfs_metadata", "own");
  const meta = existsSync(metaFile) ? readFileSync(metaFile, "utf8").trim().split("\n").join(",") : "";
  v.ownerMeta = x ? `xattr ${x}` : meta ? `.virtfs_metadata ${meta}` : "-";
  try {
    const l = lstatSync(join(p, "gl"));
    v.gl = l.isSymbolicLink() ? `symlink -> ${readlinkSync(join(p, "gl"))}` : `${l.isFile() ? "regular file" : "other"} "${read(join(p, "gl"))}"`;
  } catch {
    v.gl = "(missing)";
  }
  try {
    v.mode = (statSync(join(p, "m")).mode & 0o777).toString(8);
    v.nlink = String(statSync(join(p, "f")).nlink);
  } catch {
    v.mode = v.mode || "(missing)";
  }
  return v;
}

export interface ResultRow {
  mount: string;
  guest: Probe;
  again: Probe;
  host: HostView;
}

const short = (s: string | undefined, n = 34) => {
  const t = (s ?? "-").replace(/^ok:/, "").replace(/^fail:.*(Operation not permitted|Permission denied|not supported|Too many levels of symbolic links|No such file or directory|Read-only file system|Input\/output error).*$/, "FAIL $1");
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

/** The results table, as printed into the test log. */
export function resultsTable(rows: ResultRow[]): string {
  const head = ["mount", "mkdir as root", "chown 1234:2345 (guest)", "owner after remount", "host owner", "host metadata", "guest symlink on host", "host symlink in guest", "chmod 640 guest/host", "hard link", "rename over", "guest->host", "host->guest"];
  const body = rows.map((r) => [
    r.mount,
    r.guest.mkdir?.startsWith("ok") ? "ok" : short(r.guest.mkdir, 60),
    `${r.guest.chown?.startsWith("ok") ? "ok" : short(r.guest.chown)} -> ${short(r.guest.owner)}`,
    short(r.again.owner2),
    r.host.owner,
    r.host.ownerMeta,
    r.host.gl,
    `${short(r.guest.hostlink, 20)} / ${short(r.guest.hostlinkcat, 20)}`,
    `${short(r.guest.mode)}/${r.host.mode}`,
    r.guest.hardlink?.startsWith("ok") ? `ok (nlink ${short(r.guest.nlink)})` : short(r.guest.hardlink),
    r.guest.rename?.startsWith("ok") ? `ok ("${short(r.guest.renamed)}")` : short(r.guest.rename),
    r.host.gw === "from-guest" ? "seen" : r.host.gw,
    r.guest.hostwrite === "ok:from-host" ? "seen" : short(r.guest.hostwrite),
  ]);
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
