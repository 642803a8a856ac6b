import { stringify } from "yaml";
import type { GuestNic } from "./user-networks.js";

/**
 * network-config (version 2): DHCP on the user-mode NIC. With a known MAC the NIC is matched by it
 * and named eth0 (as Lima does); without one, any interface named en* or eth* gets DHCP. User-v2
 * NICs (`nics`) are named as lima.yaml says.
 */
export function networkConfig(macAddress: string | undefined, nics: readonly GuestNic[] = []): string {
  const ethernets: Record<string, unknown> = macAddress
    ? { eth0: { match: { macaddress: macAddress.toLowerCase() }, "set-name": "eth0", dhcp4: true, "dhcp-identifier": "mac" } }
    : {
        en: { match: { name: "en*" }, dhcp4: true, "dhcp-identifier": "mac" },
        eth: { match: { name: "eth*" }, dhcp4: true, "dhcp-identifier": "mac" },
      };
  // user-v2 NICs: renamed on the first boot (cloud-init renames before networkd runs); their
  // addressing is tslima's own networkd file (cidata/user-networks.ts)
  for (const n of nics) ethernets[n.interface] = { match: { macaddress: n.mac.toLowerCase() }, "set-name": n.interface };
  return stringify({ version: 2, ethernets }, { version: "1.1" });
}
