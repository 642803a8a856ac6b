/**
 * copyToHost (Lima's): guest files copied to the host before READY. /etc/hostname onto a link a
 * "guest" planted at the host path (replaced, its target untouched), the user's ~/.bashrc with
 * {{.Home}} (cloud-init made the home from /etc/skel), /etc/shadow, which the user may not read (read
 * with sudo, as Lima retries), a missing file with skipIfMissing; the deleteOnStop copies are gone
 * after stop, the other stays.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FieldFragment } from "./fragment.js";

let root = "";
const out = () => join(root, "copied");
const victim = () => join(root, "victim");

export const fragment: FieldFragment = {
  title: "copyToHost: guest files copied to the host at READY (sudo when needed, skipIfMissing, deleteOnStop, no link followed)",
  yaml(r) {
    root = r;
    return [
      "copyToHost:",
      '- guest: "/etc/hostname"',
      `  host: "${out()}/hostname"`,
      '- guest: "{{.Home}}/.bashrc"',
      `  host: "${out()}/{{.Name}}/bashrc"`,
      "  deleteOnStop: true",
      '- guest: "/etc/shadow"',
      `  host: "${out()}/shadow"`,
      "  deleteOnStop: true",
      '- guest: "/nonexistent/tslima-copy-to-host"',
      `  host: "${out()}/missing"`,
      "  skipIfMissing: true",
    ].join("\n");
  },
  prepare(r) {
    root = r;
    mkdirSync(out(), { recursive: true });
    writeFileSync(victim(), "not the guest's\n");
    symlinkSync(victim(), join(out(), "hostname"));
  },
  async check(ctx) {
    const { name } = ctx;
    const facts = await ctx.sh("hostname; echo ===; cat ~/.bashrc");
    const [hostname, bashrc] = facts.split("\n===\n");
    assert.equal(readFileSync(join(out(), "hostname"), "utf8").trim(), hostname);
    assert.equal(lstatSync(join(out(), "hostname")).isSymbolicLink(), false, "the planted link is replaced");
    assert.equal(readFileSync(victim(), "utf8"), "not the guest's\n", "the link's target is not written");
    assert.equal(readFileSync(join(out(), name, "bashrc"), "utf8").trimEnd(), bashrc?.trimEnd());
    assert.match(readFileSync(join(out(), "shadow"), "utf8"), /^root:/m, "read as root with sudo -n");
    for (const f of ["hostname", "shadow", `${name}/bashrc`]) assert.equal(statSync(join(out(), f)).mode & 0o777, 0o600, f);
    assert.equal(existsSync(join(out(), "missing")), false);
  },
  afterStop({ name, dir }) {
    assert.equal(existsSync(join(out(), "shadow")), false, "deleteOnStop");
    assert.equal(existsSync(join(out(), name, "bashrc")), false, "deleteOnStop");
    assert.equal(existsSync(join(out(), "hostname")), true, "kept without deleteOnStop");
    assert.equal(existsSync(join(dir, "copied-to-host.json")), false, "the record goes with the copies");
    return Promise.resolve();
  },
};
