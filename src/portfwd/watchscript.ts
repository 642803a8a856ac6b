import { listenersFromFields } from "./procnet.js";
import { PORTFWD_WATCH_BASH, PORTFWD_WATCH_SH } from "../guest/embedded.js";
import { fillPlaceholders } from "../proc/quote.js";
import type { Listener } from "./types.js";

/**
 * The guest-side listener watcher. Every `intervalSec` it reads /proc/net/{tcp,tcp6,udp,udp6} and
 * prints one line `LISTEN ADDR ADDR ... u:ADDR ...` (the raw local_address fields of the TCP sockets
 * in state 0A = LISTEN, and, prefixed `u:`, of the UDP sockets that are bound and not connected:
 * state 07 with remote address 0, i.e. UDP servers) whenever the set changes, and every
 * `refreshEvery` rounds anyway: that repeat lets the host re-check its forwards, and a write into a
 * closed ssh channel ends the loop (SIGPIPE), so no watcher outlives its host agent. Pure.
 *
 * It runs for as long as the VM does, so each round must cost next to nothing: under TCG a fork and
 * exec costs the guest tens of milliseconds, and the first version (awk and sleep each round) kept an
 * idle guest's QEMU at 14% of a host core (0.6% without it). With bash in the guest (every image
 * tslima boots has it) a round forks nothing: bash's `read` parses the files and waits on a FIFO that
 * never delivers (`read -t`). Without bash, the POSIX sh + awk + sleep loop runs instead.
 */

/** The POSIX sh + awk + sleep loop (src/guest/portfwd/watch.sh: what runs where the guest has no bash). */
export function shWatcherScript(intervalSec = 1, refreshEvery = 10): string {
  return fillPlaceholders(PORTFWD_WATCH_SH, { INTERVAL: String(intervalSec), REFRESH: String(refreshEvery) });
}

/** The fork-free loop for bash (src/guest/portfwd/watch.bash). */
export function bashWatcherScript(intervalSec = 1, refreshEvery = 10): string {
  return fillPlaceholders(PORTFWD_WATCH_BASH, { INTERVAL: String(intervalSec), REFRESH: String(refreshEvery) });
}

/**
 * The guest command: `sh -c DISPATCH tslima-portwatch BASHLOOP`. The dispatcher execs bash with the
 * fork-free loop when the guest has bash, and otherwise runs the sh loop itself.
 */
export function watcherCommand(intervalSec = 1, refreshEvery = 10): string[] {
  const dispatch = `if command -v bash >/dev/null 2>&1; then exec bash -c "$1"; fi\n${shWatcherScript(intervalSec, refreshEvery)}`;
  return ["sh", "-c", dispatch, "tslima-portwatch", bashWatcherScript(intervalSec, refreshEvery)];
}

/** One line of watcher output: the full set of listeners, or undefined for anything else. */
export function parseWatcherLine(line: string): Listener[] | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== "LISTEN") return undefined;
  return listenersFromFields(fields.slice(1));
}
