import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_RESOLVER_DROP_IN, hostResolverBootCommand, hostResolverDropIn } from "../../../src/cidata/host-resolver.js";

test("the host resolver's drop-in, and the full boot's command that writes it exactly so (the step compares it as the user)", () => {
  const text = hostResolverDropIn("192.168.5.2", 45123);
  assert.equal(text, "[Resolve]\nDNS=192.168.5.2:45123\nDomains=~.");
  const cmd = hostResolverBootCommand("192.168.5.2", 45123);
  assert.ok(cmd.includes(HOST_RESOLVER_DROP_IN) && cmd.includes("systemctl try-restart systemd-resolved"), cmd);
  // run it with the paths moved into a scratch directory and systemctl absent: the file holds the text
  const dir = mkdtempSync(join(tmpdir(), "tslima-hr-"));
  try {
    const local = cmd.split("/etc/systemd/resolved.conf.d").join(join(dir, "d")).replace("systemctl try-restart systemd-resolved", "true");
    execFileSync("sh", ["-c", local]);
    assert.equal(readFileSync(join(dir, "d", "tslima-host-resolver.conf"), "utf8"), `${text}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
