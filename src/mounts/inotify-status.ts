/**
 * `mountInotify`'s counters: the guest program's status line (GuestEchoStats), what the host agent
 * writes to <instance>/inotify.json (InotifyStats), and the line `tslima doctor mounts` prints. Pure.
 */
import type { InotifyLimits } from "./inotify.js";

/** What the guest program reports on stdout (its last status line; absent without python3 in the guest). */
export interface GuestEchoStats {
  /** Whether the guest's own changes are recorded at all (inotify available in the guest). */
  recording: boolean;
  /** Directories watched in the guest, whether the walk still runs, whether maxWatches was reached. */
  watches: number;
  walking: boolean;
  capped: boolean;
  /** Paths read from the agent; of them: raised events for, echoes of guest changes it skipped, and paths gone when their batch came. */
  lines: number;
  raised: number;
  skipped: number;
  /** Of the skipped: echoes whose guest event was queued only after the path came (caught by waiting up to settleS). */
  late: number;
  gone: number;
  /** Guest changes recorded so far (paths), remembered now; guest inotify queue overflows (changes not recorded then). */
  noted: number;
  records: number;
  overflows: number;
}

/** The guest program's status line, or undefined for anything else. */
export function parseGuestStatus(line: string): GuestEchoStats | undefined {
  try {
    const v = JSON.parse(line) as Partial<GuestEchoStats>;
    const nums = [v.watches, v.lines, v.raised, v.skipped, v.late, v.gone, v.noted, v.records, v.overflows];
    if (typeof v.recording !== "boolean" || typeof v.walking !== "boolean" || typeof v.capped !== "boolean" || !nums.every((x) => typeof x === "number")) return undefined;
    const { recording, watches, walking, capped, lines, raised, skipped, late, gone, noted, records, overflows } = v as GuestEchoStats;
    return { recording, watches, walking, capped, lines, raised, skipped, late, gone, noted, records, overflows };
  } catch {
    return undefined;
  }
}

/** What doctor reports of the forwarding (written by the agent to <instance>/inotify.json). */
export interface InotifyStats {
  /** Host locations watched. */
  watching: string[];
  /** Paths the guest raised events for. */
  forwarded: number;
  batches: number;
  /** Changes dropped because too many were waiting (the `maxPending` cap). */
  dropped: number;
  /** When changes were last dropped (ISO time). */
  lastDropAt?: string;
  /** Times the guest session had ended and was started again. */
  restarts: number;
  /** Watch errors (e.g. the inotify watch limit of the host). */
  errors: string[];
  limits: InotifyLimits;
  /** The guest program's last status (absent until it reports, and without python3 in the guest). */
  guest?: GuestEchoStats;
}

/** The line doctor prints about inotify forwarding. Pure. */
export function inotifySummary(enabled: boolean, stats: InotifyStats | undefined): string {
  if (!enabled) return "inotify forwarding: off (mountInotify: true or --mount-inotify forwards host changes as inotify events)";
  if (!stats) return "inotify forwarding: on in lima.yaml, but not running (the instance was started without it; restart it)";
  const dropped = stats.dropped > 0 ? `, dropped ${stats.dropped} changes over the cap of ${stats.limits.maxPending} waiting (last at ${stats.lastDropAt ?? "?"})` : ", none dropped";
  const errors = stats.errors.length > 0 ? `; watch errors: ${stats.errors.join("; ")}` : "";
  const failed = stats.restarts > 0 ? `, the guest session restarted ${stats.restarts} times` : "";
  return `inotify forwarding: on for ${stats.watching.length} writable mounts, ${stats.forwarded} changes in ${stats.batches} batches${failed}${dropped}${errors}; ${echoSummary(stats.guest, stats.limits)}`;
}

/** What doctor says of the echoes of guest changes. */
function echoSummary(g: GuestEchoStats | undefined, limits: InotifyLimits): string {
  const back = "the echo of a guest change comes back once as a host change";
  if (!g) return `the guest program has not reported (no python3 in the guest?): ${back}`;
  if (!g.recording) return `no inotify in the guest: ${back}`;
  const parts = [
    `echoes of guest changes: ${g.skipped} skipped${g.late > 0 ? ` (${g.late} of them after waiting for the guest's own event)` : ""}, ${g.raised} host changes raised; ${g.noted} guest changes recorded in ${g.watches} directories${g.walking ? " (still walking the mounts)" : ""}, ${g.records} remembered (at most ${limits.maxRecords}, each for ${limits.recordAgeS} s)`,
  ];
  if (g.capped) parts.push(`watching stopped at ${g.watches} directories (cap ${limits.maxWatches} or the guest's fs.inotify.max_user_watches): in the others ${back}`);
  if (g.overflows > 0) parts.push(`the guest's inotify queue overflowed ${g.overflows} times (the guest changes lost then come back once)`);
  return parts.join("; ");
}
