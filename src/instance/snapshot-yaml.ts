/**
 * The lima.yaml a booted snapshot keeps (pure). Its instances run the snapshot's guest as it booted,
 * so whatever the guest consumed at boot must load the same for whoever makes an instance from it.
 * The guest user's name and uid default to the host user's (Lima's rule); a snapshot taken by one
 * host user and cloned by another would otherwise name a user the guest does not have (ssh then
 * never gets in). The values the source resolved are written in where its lima.yaml left them out.
 */
import { isMap, parseDocument } from "yaml";
import type { Config } from "../config/types.js";

export function snapshotLimaYaml(text: string, user: Pick<Config["user"], "name" | "uid">): string {
  const doc = parseDocument(text);
  const u = doc.get("user");
  if (u !== undefined && u !== null && !isMap(u)) return text; // not a map: validation names it, nothing to pin
  if (!doc.hasIn(["user", "name"])) doc.setIn(["user", "name"], user.name);
  if (!doc.hasIn(["user", "uid"])) doc.setIn(["user", "uid"], user.uid);
  return doc.toString({ lineWidth: 0 });
}
