import type { Config } from "../config/types.js";
import { networkMac } from "../qemu/options.js";
import type { SwitchNetwork } from "../network/protocol.js";
import type { InstancePaths } from "../store/paths.js";

/**
 * The NICs of an instance's Lima user-v2 networks (`networks: [{lima: NAME}]`), as data for QEMU's
 * argv, the cidata and the agent's switch links. Pure.
 */

/** A user-v2 network as networks.yaml defines it (gathered on the host). */
export type UserNetwork = SwitchNetwork;

export interface PlannedNic {
  network: UserNetwork;
  /** The guest's interface name (lima0, ...). */
  interface: string;
  /** `macAddress` from lima.yaml, else one derived from the instance name and the entry's index. */
  mac: string;
  metric: number;
  /** QEMU's listening socket for the switch, in the instance directory. */
  socket: string;
  /** PCI slot on bus 0: 0x10 + the entry's index. */
  slot: number;
}

export const FIRST_NIC_SLOT = 0x10;


/** Plans the NICs of the config's `lima:` networks; `defs` holds each one's definition by name. */
export function planNics(config: Config, paths: InstancePaths, defs: Readonly<Record<string, UserNetwork>>): PlannedNic[] {
  const out: PlannedNic[] = [];
  config.networks.forEach((n, i) => {
    const network = n.lima !== undefined ? defs[n.lima] : undefined;
    if (network === undefined) return;
    out.push({
      network,
      interface: n.interface ?? `lima${i}`,
      mac: (n.macAddress ?? networkMac(paths.name, i)).toLowerCase().replace(/-/g, ":"),
      metric: n.metric ?? 100,
      socket: `${paths.dir}/net${i + 1}.sock`,
      slot: FIRST_NIC_SLOT + i,
    });
  });
  return out;
}
