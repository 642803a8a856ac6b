/**
 * The proxy variables the guest gets (Lima's `propagateProxyEnv`). Pure: the host agent gathers the
 * host's proxy variables (`hostProxyEnv`), the planner turns them into the guest's.
 *
 * As Lima does it: the config's `env:` is the start; with `propagateProxyEnv` each of the variables
 * below that the host agent's environment has replaces the `env:` entry of the same name (an empty
 * host value too); empty values are then dropped; a proxy URL whose host is the host's loopback
 * (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`) gets the host's address as the guest sees it
 * instead, its port kept (`no_proxy` is not rewritten); last, the lower and upper case names are
 * made equal, the lower case value winning when both are set. Lima takes no `all_proxy`.
 */

/** The lower case names; each has an upper case twin. */
const LOWER = ["ftp_proxy", "http_proxy", "https_proxy", "no_proxy"] as const;

/** All eight names Lima propagates, lower case first. */
export const PROXY_ENV_NAMES: readonly string[] = [...LOWER, ...LOWER.map((n) => n.toUpperCase())];

/** The proxy variables of an environment (what the host agent passes to the planner). Pure. */
export function hostProxyEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROXY_ENV_NAMES) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Whether a URL's host names the machine itself (what Lima's resolver check finds loopback). */
function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^127(\.\d{1,3}){3}$/.test(h)) return h.split(".").every((o) => Number(o) <= 255);
  return h === "[::1]" || h === "[0:0:0:0:0:0:0:1]";
}

/**
 * `scheme://[user@]host[:port][rest]` with a loopback host made `hostIp` (port, user and rest kept);
 * anything else as it was (a value without `scheme://` has no host to rewrite, as for Lima).
 */
export function rewriteLoopback(value: string, hostIp: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(value);
  if (!m) return value;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf("@");
  const user = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const hp = /^(\[[^\]]*\]|[^:]*)(:\d*)?$/.exec(hostPort);
  if (!hp || !isLoopbackHost(hp[1] ?? "")) return value;
  return `${scheme}${user}${hostIp}${hp[2] ?? ""}${rest}`;
}

/**
 * The proxy variables the guest gets, from the config's `env:`, `propagateProxyEnv` and the host's
 * proxy variables (see the file comment). Pure.
 */
export function guestProxyEnv(configEnv: Readonly<Record<string, string>>, propagate: boolean, hostEnv: Readonly<Record<string, string>>, hostIp: string): Record<string, string> {
  const env = new Map<string, string>();
  for (const name of PROXY_ENV_NAMES) {
    const fromHost = propagate ? hostEnv[name] : undefined;
    const v = fromHost ?? configEnv[name];
    if (v === undefined || v === "") continue;
    env.set(name, name.toLowerCase() === "no_proxy" ? v : rewriteLoopback(v, hostIp));
  }
  const out: Record<string, string> = {};
  for (const lower of LOWER) {
    const upper = lower.toUpperCase();
    const v = env.get(lower) ?? env.get(upper);
    if (v === undefined) continue;
    out[lower] = v;
    out[upper] = v;
  }
  return out;
}

/**
 * The guest's whole environment from `env:`: the config's entries with its proxy variables replaced
 * by `guestProxyEnv`'s (the same object's order when there are none). Pure.
 */
export function guestEnv(configEnv: Readonly<Record<string, string>>, proxies: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(configEnv)) if (!PROXY_ENV_NAMES.includes(k)) out[k] = v;
  return { ...out, ...proxies };
}
