import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { runProgramSync } from "../proc/run.js";
import { delimiter, join } from "node:path";

/** A virtiofsd binary found on the host, and which command-line dialect it speaks. */
export interface VirtiofsdInfo {
  binary: string;
  /** "rust": the virtiofsd project (--socket-path S --shared-dir D); "c": QEMU's old C daemon (-o source=D). */
  flavor: "rust" | "c";
  /** The daemon can enforce read-only itself (Rust --readonly); the C one cannot. */
  readonlyFlag: boolean;
  /** The daemon only works as root (the C one sets up namespaces / needs CAP_SYS_ADMIN). */
  needsRoot: boolean;
}

/** QEMU's vhost-user descriptor directories (docs/interop/vhost-user.json), most specific first. */
const DESCRIPTOR_DIRS = ["/etc/qemu/vhost-user", "/usr/local/share/qemu/vhost-user", "/usr/share/qemu/vhost-user"];
const C_DAEMON = "/usr/lib/qemu/virtiofsd";

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function describe(binary: string): VirtiofsdInfo {
  const r = runProgramSync(binary, ["--help"], { timeoutMs: 5000 });
  const help = `${r.stdout}${r.stderr}`;
  if (help.includes("--shared-dir")) {
    return { binary, flavor: "rust", readonlyFlag: help.includes("--readonly"), needsRoot: false };
  }
  return { binary, flavor: "c", readonlyFlag: false, needsRoot: true };
}

function fromDescriptors(): string[] {
  const found: string[] = [];
  for (const dir of DESCRIPTOR_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".json")).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      try {
        const d = JSON.parse(readFileSync(join(dir, n), "utf8")) as { type?: unknown; binary?: unknown };
        if (d.type === "fs" && typeof d.binary === "string") found.push(d.binary);
      } catch {
        // an unreadable descriptor is skipped, like QEMU's own lookup does
      }
    }
  }
  return found;
}

/**
 * Finds virtiofsd (executor: reads the file system, runs `--help`): `virtiofsd` on PATH (also
 * /usr/libexec, where distributions put the Rust one), then QEMU's vhost-user JSON descriptors,
 * then Debian's C daemon at /usr/lib/qemu/virtiofsd. A Rust daemon wins over a C one.
 */
export function findVirtiofsd(env: NodeJS.ProcessEnv = process.env): VirtiofsdInfo | undefined {
  const candidates = [
    ...(env.PATH ?? "").split(delimiter).filter((d) => d !== "").map((d) => join(d, "virtiofsd")),
    "/usr/libexec/virtiofsd",
    ...fromDescriptors(),
    C_DAEMON,
  ];
  const seen = new Set<string>();
  let fallback: VirtiofsdInfo | undefined;
  for (const c of candidates) {
    if (seen.has(c) || !executable(c)) continue;
    seen.add(c);
    const info = describe(c);
    if (info.flavor === "rust") return info;
    fallback ??= info;
  }
  return fallback;
}
