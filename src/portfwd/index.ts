/**
 * Port forwarding (Lima's `portForwards`), started by the host agent once the guest is ready.
 *
 * How: a small sh+awk loop in the guest (watchscript.ts) reports the TCP sockets in LISTEN state
 * from /proc/net/tcp{,6} over one long-lived ssh session; the rules (rules.ts, Lima's semantics,
 * first match wins, builtin ignores for ports 22 and the ssh port, default rule 1:1 to 127.0.0.1)
 * turn them into forwards (plan.ts), which are added and cancelled on the instance's existing ssh
 * ControlMaster with `ssh -O forward|cancel -L/-R` (forwarder.ts). SSH rather than QMP hostfwd:
 * slirp's hostfwd connects to the guest's NIC address (10.0.2.15), so it cannot reach a server
 * bound to the guest's 127.0.0.1 or ::1 (the common case) and cannot forward unix sockets or in the
 * reverse direction; the ControlMaster is already up and authenticated, and binds exactly the host
 * address a rule names (127.0.0.1 unless asked otherwise).
 *
 * What it reports: events with a `portForward` field (added / removed / failed; failures also as a
 * `warning` naming the host port and the rule), and the current set in `<instance>/portfwd.json`
 * (readPortForwards). Everything is cancelled, and host socket files removed, on stop.
 */
export type { Endpoint, Forward, Listener, PortForwardEvent, PortForwardSink } from "./types.js";
export { startPortForwarding, type PortForwarding, type PortForwardingOptions } from "./manager.js";
export { forwardingRules, dockerHostSocket, decide, socketForwards, guestConnectAddress, type Rule, type Decision } from "./rules.js";
export { desiredForwards, diffForwards, sshForwardArgs, endpointText, forwardKey, describeForward } from "./plan.js";
export { parseProcNetAddress, listenersFromFields } from "./procnet.js";
export { watcherCommand, bashWatcherScript, shWatcherScript, parseWatcherLine } from "./watchscript.js";
export { readPortForwards, portForwardStatePath, type ActiveForward } from "./statefile.js";
