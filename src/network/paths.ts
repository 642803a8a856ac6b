import { join } from "node:path";

/** Where a user-v2 network's switch keeps its files: TSLIMA_HOME/_networks/NAME (Lima's folder name). */
export function networkDir(home: string, name: string): string {
  return join(home, "_networks", name);
}

export const switchFiles = (dir: string) => ({
  pid: join(dir, "switch.pid"),
  sock: join(dir, "switch.sock"),
  leases: join(dir, "leases.json"),
  log: join(dir, "switch.log"),
});
