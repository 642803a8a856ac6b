import { listenersFromFields } from "./procnet.js";
import type { Listener } from "./types.js";

/**
 * The guest-side watcher: a POSIX sh loop that reads /proc/net/{tcp,tcp6,udp,udp6} every
 * `intervalSec` and prints one line `LISTEN ADDR ADDR ... u:ADDR ...` (the raw local_address fields of
 * the TCP sockets in state 0A = LISTEN, and, prefixed `u:`, of the UDP sockets that are bound and not
 * connected: state 07 with remote address 0, i.e. UDP servers) whenever the set changes, and every `refreshEvery` rounds anyway:
 * that repeat lets the host re-check its forwards, and a write into a closed ssh channel ends the
 * loop (SIGPIPE), so no watcher outlives its host agent. Needs only sh, awk and sleep. Pure.
 */
export function watcherScript(intervalSec = 1, refreshEvery = 10): string {
  return [
    "prev=x; n=0",
    "while :; do",
    "  cur=$(awk 'FILENAME ~ /tcp/ && $4 == \"0A\" { printf \" %s\", $2 } FILENAME ~ /udp/ && $4 == \"07\" && $3 ~ /^0+:0000$/ { printf \" u:%s\", $2 }' /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null)",
    `  if [ "$cur" != "$prev" ] || [ "$n" -ge ${refreshEvery} ]; then`,
    "    echo \"LISTEN$cur\" || exit 0",
    "    prev=$cur; n=0",
    "  fi",
    "  n=$((n + 1))",
    `  sleep ${intervalSec}`,
    "done",
  ].join("\n");
}

/** One line of watcher output: the full set of listeners, or undefined for anything else. */
export function parseWatcherLine(line: string): Listener[] | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== "LISTEN") return undefined;
  return listenersFromFields(fields.slice(1));
}
