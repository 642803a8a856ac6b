
/**
 * The guest side of Lima's user-v2 networks (issue 28): each network's NIC is named by its PCI slot,
 * not its MAC (an instance made from a booted snapshot changes the MAC in the running guest; see
 * hostagent's networks step), and gets its address by DHCP from the network's switch. Its DNS
 * server, the gateway, is asked only for names under `internal.` (`lima-NAME.internal`); the
 * default route and every other name stay on the user-mode NIC (eth0), so the guest's way out,
 * ssh, port forwards and mounts do not change. IPv4 only. Pure.
 */

/** A user-v2 NIC as the guest sees it. */
export interface GuestNic {
  /** lima.yaml's `networks[i].interface` (lima0, lima1, ...). */
  interface: string;
  mac: string;
  /** PCI slot on bus 0 (QEMU's `addr=`): the guest matches the device by it. */
  slot: number;
  metric: number;
}

/** The udev/systemd path of the NIC's device. */
export function pciPath(slot: number): string {
  return `pci-0000:00:${slot.toString(16).padStart(2, "0")}.0`;
}

/** write_files entries (provision.ts WriteFile). */
export function nicUnitFiles(nic: GuestNic): Array<{ path: string; content: string; permissions: string }> {
  const link = [
    "# tslima: the user-v2 NIC, named by its PCI slot (its MAC may change)",
    "[Match]",
    `Path=${pciPath(nic.slot)}`,
    "",
    "[Link]",
    `Name=${nic.interface}`,
    "MACAddressPolicy=none",
    "",
  ].join("\n");
  const network = [
    "# tslima: DHCP from the user-v2 switch; DNS there only for *.internal, no default route",
    "[Match]",
    `Name=${nic.interface}`,
    "",
    "[Link]",
    "RequiredForOnline=no",
    "",
    "[Network]",
    "DHCP=ipv4",
    "LinkLocalAddressing=no",
    "IPv6AcceptRA=no",
    "DNSDefaultRoute=no",
    "LLMNR=no",
    "MulticastDNS=no",
    "Domains=~internal",
    "",
    "[DHCPv4]",
    "ClientIdentifier=mac",
    "UseRoutes=no",
    "UseHostname=no",
    "UseDomains=no",
    `RouteMetric=${nic.metric}`,
    "",
  ].join("\n");
  return [
    { path: `/etc/systemd/network/05-tslima-${nic.interface}.link`, content: link, permissions: "0644" },
    { path: `/etc/systemd/network/05-tslima-${nic.interface}.network`, content: network, permissions: "0644" },
  ];
}
