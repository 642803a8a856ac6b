import { createHash } from "node:crypto";
import type { Config } from "../config/types.js";
import { guestHostname, type CidataContext } from "./context.js";
import { networkConfig } from "./network.js";
import { userData } from "./userdata.js";

/** lima.yaml's `dns:` (kept in config.extra; validated as IP addresses). */
function dnsAddresses(config: Config): string[] {
  const dns = config.extra.dns;
  return Array.isArray(dns) ? dns.map((d) => String(d)) : [];
}

/**
 * The files of the cidata ISO (pure): user-data, meta-data, network-config. The instance-id is the
 * instance name plus a hash of the other two documents, so cloud-init's once-per-instance modules
 * (users, write_files, mounts) run again whenever the boot configuration changes, and only then.
 */
export function cidataFiles(config: Config, ctx: CidataContext): Record<string, string> {
  const user = userData(config, ctx);
  const network = networkConfig(ctx.macAddress, ctx.networks ?? [], dnsAddresses(config));
  const hash = createHash("sha256").update(user).update("\0").update(network).digest("hex").slice(0, 12);
  const meta = `instance-id: tslima-${ctx.instanceName}-${hash}\nlocal-hostname: ${guestHostname(ctx.instanceName)}\n`;
  return { "meta-data": meta, "user-data": user, "network-config": network };
}
