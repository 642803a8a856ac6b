/** `tslima doctor mounts`: reading what the guest probes print and how QEMU runs a 9p share. Pure. */

/** One line of probe output: key, ok|fail|skip, detail. */
export interface ProbeLine {
  status: "ok" | "fail" | "skip";
  out: string;
}
export type ProbeOutput = Record<string, ProbeLine>;

/** Parses probe output (key TAB status TAB detail); the last line of a key wins. */
export function parseProbeOutput(text: string): ProbeOutput {
  const out: ProbeOutput = {};
  for (const line of text.split("\n")) {
    const [k, s, ...rest] = line.split("\t");
    if (!k || (s !== "ok" && s !== "fail" && s !== "skip")) continue;
    out[k] = { status: s, out: rest.join(" ").trim() };
  }
  return out;
}

/** A 9p device as QEMU runs it: -fsdev local,...,path=P,security_model=M[,readonly=on]. */
export interface QemuFsdev {
  path: string;
  securityModel: string;
  readonly: boolean;
}

/** Splits a QEMU option string on single commas (",," is a literal comma). */
function qemuOptions(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ",") {
      if (s[i + 1] === ",") {
        cur += ",";
        i++;
        continue;
      }
      out.push(cur);
      cur = "";
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}

/** The 9p devices of a QEMU command line (argv as in /proc/PID/cmdline). */
export function parseQemuFsdevs(argv: string[]): QemuFsdev[] {
  const out: QemuFsdev[] = [];
  argv.forEach((a, i) => {
    if (a !== "-fsdev" && a !== "-virtfs") return;
    const kv = new Map(qemuOptions(argv[i + 1] ?? "").map((o) => [o.split("=")[0] ?? "", o.includes("=") ? o.slice(o.indexOf("=") + 1) : "on"] as const));
    const path = kv.get("path");
    if (path === undefined) return;
    out.push({ path, securityModel: kv.get("security_model") ?? "?", readonly: kv.get("readonly") === "on" });
  });
  return out;
}
