import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { TslimaError } from "../../errors.js";

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** Pure: the `deb` entries of one apt sources file, one-line (`.list`) or deb822 (`.sources`) format. */
export function parseAptSources(text: string, deb822: boolean): AptSource[] {
  const out: AptSource[] = [];
  if (!deb822) {
    for (const raw of text.split("\n")) {
      const line = raw.replace(/#.*/, "").trim();
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
      if (m) out.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
    }
    return out;
  }
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last = "";
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue;
      if (/^\s/.test(raw) && last) fields[last] += " " + raw.trim();
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) fields[(last = m[1]!.toLowerCase())] = m[2]!.trim();
    }
    if (fields.enabled === "no") continue;
    if (!(fields.types ?? "").split(/\s+/).includes("deb")) continue;
    const words = (v: string | undefined) => (v ?? "").split(/\s+/).filter(Boolean);
    for (const uri of words(fields.uris)) {
      out.push({ uri, suites: words(fields.suites), components: words(fields.components) });
    }
  }
  return out;
}

/** Pure: the mirror URI that serves `suite` itself (not -security/-updates) with `main`. */
export function pickMirror(sources: AptSource[], suite: string): string | undefined {
  const hit = sources.find((s) => s.suites.includes(suite) && s.components.includes("main"));
  return hit?.uri.replace(/\/+$/, "");
}

/**
 * The Debian mirror to bootstrap from: TSLIMA_DEBIAN_MIRROR if set, else the one this machine's apt
 * uses for `suite` (so the build works wherever apt-get does, air-gapped mirrors included).
 */
export function debianMirror(suite: string, env: NodeJS.ProcessEnv = process.env, aptDir = "/etc/apt"): string {
  const fromEnv = env.TSLIMA_DEBIAN_MIRROR;
  if (fromEnv && fromEnv !== "") return fromEnv.replace(/\/+$/, "");
  const sources: AptSource[] = [];
  const read = (path: string, deb822: boolean) => {
    try {
      sources.push(...parseAptSources(readFileSync(path, "utf8"), deb822));
    } catch {
      // unreadable or missing: skip
    }
  };
  read(join(aptDir, "sources.list"), false);
  let names: string[] = [];
  try {
    names = readdirSync(join(aptDir, "sources.list.d")).sort();
  } catch {
    // none
  }
  for (const name of names) {
    if (name.endsWith(".list")) read(join(aptDir, "sources.list.d", name), false);
    else if (name.endsWith(".sources")) read(join(aptDir, "sources.list.d", name), true);
  }
  const mirror = pickMirror(sources, suite);
  if (!mirror) {
    throw new TslimaError("IMAGE_BUILD_MIRROR", `no Debian mirror for "${suite}" found in ${aptDir}/sources.list*`, {
      hint: "set TSLIMA_DEBIAN_MIRROR to a Debian mirror URL, e.g. TSLIMA_DEBIAN_MIRROR=http://MIRROR-HOST/debian",
    });
  }
  return mirror;
}
