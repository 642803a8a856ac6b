/**
 * Lima's fields acted on (issue 29), on one VM booted cold with every fragment of test/e2e/fields/
 * (each a field or a few: its lima.yaml lines, host preparation, checks on the running guest and
 * after stop). One boot carries them all; a fragment's checks are its own test.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parse } from "yaml";
import type { RunningInstance } from "../../src/index.js";
import type { AgentEvent } from "../../src/store/events.js";
import { bootGuest, Cli, guestYaml } from "./harness.js";
import type { FieldFragment, FieldsContext } from "./fields/fragment.js";

const cli = new Cli("fields");
const LONG = { timeout: 30 * 60_000 };
const NAME = "fields";
const dir = fileURLToPath(new URL("./fields/", import.meta.url));
const fragments: FieldFragment[] = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith(".js") && n !== "fragment.js").sort()) {
  fragments.push(((await import(join(dir, f))) as { fragment: FieldFragment }).fragment);
}
let vm: RunningInstance | undefined;
const bootEvents: AgentEvent[] = [];

/** The fragments' YAML joined; a top-level key set by two fragments is refused (naming both). */
function fieldsYaml(root: string): string {
  const owner = new Map<string, string>();
  for (const f of fragments) {
    for (const key of Object.keys((parse(f.yaml(root)) ?? {}) as Record<string, unknown>)) {
      const prev = owner.get(key);
      if (prev !== undefined) throw new Error(`fields fragments "${prev}" and "${f.title}" both set ${key}: give one of them another key`);
      owner.set(key, f.title);
    }
  }
  return guestYaml(fragments.map((f) => f.yaml(root)).join("\n"));
}

async function sh(script: string): Promise<string> {
  const r = await cli.run(["shell", NAME, "--", "sh", "-c", script]);
  assert.equal(r.code, 0, `${script}\n${r.stderr}`);
  return r.stdout.trim();
}

before(async () => {
  for (const f of fragments) await f.prepare?.(cli.root);
  vm = await bootGuest(cli, {
    cold: true,
    reason: "the fields under test are consumed by the guest's boot (cidata, devices)",
    name: NAME,
    yaml: fieldsYaml(cli.root),
    progress: true,
    onEvent: (e) => bootEvents.push(e),
  });
}, LONG);
after(async () => {
  await vm?.[Symbol.asyncDispose]();
  await cli.cleanup([NAME]);
});

const ctx = (): FieldsContext => ({ cli, name: NAME, vm: vm!, sh, dir: join(cli.home, NAME) });

test("start --progress: cloud-init's lines of this boot, up to its closing one, before READY", () => {
  const lines = bootEvents.flatMap((e) => (e.kind === "message" && e.message.startsWith("[cloud-init] ") ? [e.message] : []));
  assert.ok(lines.length > 5, `cloud-init's lines: ${lines.join("\n")}`);
  assert.ok(lines.some((l) => /Cloud-init v\. .* finished/.test(l)), `its closing line: ${lines.slice(-3).join("\n")}`);
  assert.ok(bootEvents.findIndex((e) => e.kind === "ready") > bootEvents.findIndex((e) => e.kind === "message" && /finished/.test(e.message)), "before READY");
});

for (const f of fragments) test(f.title, LONG, () => f.check(ctx()));

test("after stop", LONG, async () => {
  await vm?.stop();
  for (const f of fragments) await f.afterStop?.({ cli, name: NAME, dir: join(cli.home, NAME) });
});
