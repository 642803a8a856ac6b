/**
 * The switch daemon's control protocol (switch.sock, 0600 in a private directory): newline-delimited
 * JSON, one reply per request. Pure types and parsing.
 */

/** A user-v2 network as its switch and the instances on it need it (from networks.yaml). */
export interface SwitchNetwork {
  name: string;
  gateway: string;
  netmask: string;
}

export type SwitchRequest =
  /** Connect to the instance's QEMU (its `-netdev stream,server=on` socket) as the instance's port. */
  | { op: "attach"; instance: string; socket: string; mac: string }
  | { op: "detach"; instance: string }
  | { op: "status" };

export interface PortStatus {
  instance: string;
  mac: string;
  ip: string;
}

export type SwitchReply =
  | { ok: true; ip?: string; gateway: string; netmask: string; ports?: PortStatus[]; pid: number }
  | { ok: false; error: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** A request line, or an error text. */
export function parseSwitchRequest(line: string): SwitchRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  const r = v as Record<string, unknown>;
  if (typeof r !== "object" || r === null) return "not an object";
  if (r.op === "status") return { op: "status" };
  if (typeof r.instance !== "string" || !NAME.test(r.instance)) return "instance: not an instance name";
  if (r.op === "detach") return { op: "detach", instance: r.instance };
  if (r.op !== "attach") return `unknown op ${JSON.stringify(r.op)}`;
  if (typeof r.socket !== "string" || !r.socket.startsWith("/")) return "socket: not an absolute path";
  if (typeof r.mac !== "string" || !MAC.test(r.mac)) return "mac: not a lower-case MAC address";
  return { op: "attach", instance: r.instance, socket: r.socket, mac: r.mac };
}
