import { stringify } from "yaml";

/**
 * network-config (version 2): DHCP on the user-mode NIC. With a known MAC the NIC is matched by it
 * and named eth0 (as Lima does); without one, any interface named en* or eth* gets DHCP.
 */
export function networkConfig(macAddress: string | undefined): string {
  const ethernets = macAddress
    ? { eth0: { match: { macaddress: macAddress.toLowerCase() }, "set-name": "eth0", dhcp4: true, "dhcp-identifier": "mac" } }
    : {
        en: { match: { name: "en*" }, dhcp4: true, "dhcp-identifier": "mac" },
        eth: { match: { name: "eth*" }, dhcp4: true, "dhcp-identifier": "mac" },
      };
  return stringify({ version: 2, ethernets }, { version: "1.1" });
}
