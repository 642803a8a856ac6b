import { stringify } from "yaml";
import type { GuestNic } from "./user-networks.js";

/**
 * network-config (version 2): DHCP on the user-mode NIC. With a known MAC the NIC is matched by it
 * and named eth0 (as Lima does); without one, any interface named en* or eth* gets DHCP. User-v2
 * NICs (`nics`) are named as lima.yaml says. `dns` (lima.yaml's `dns:`, which validation allows
 * only with hostResolver.enabled false) are the user-mode NIC's static nameservers, as in Lima's
 * template: systemd-networkd gives them to resolved for that link, next to the DHCP ones.
 */
export function networkConfig(macAddress: string | undefined, nics: readonly GuestNic[] = [], dns: readonly string[] = []): string {
  const slirp = { dhcp4: true, "dhcp-identifier": "mac", ...(dns.length > 0 ? { nameservers: { addresses: [...dns] } } : {}) };
  const ethernets: Record<string, unknown> = macAddress
    ? { eth0: { match: { macaddress: macAddress.toLowerCase() }, "set-name": "eth0", ...slirp } }
    : {
        en: { match: { name: "en*" }, ...slirp },
        eth: { match: { name: "eth*" }, ...slirp },
      };
  // user-v2 NICs: renamed on the first boot (cloud-init renames before networkd runs); their
  // addressing is tslima's own networkd file (cidata/user-networks.ts)
  for (const n of nics) ethernets[n.interface] = { match: { macaddress: n.mac.toLowerCase() }, "set-name": n.interface };
  return stringify({ version: 2, ethernets }, { version: "1.1" });
}
