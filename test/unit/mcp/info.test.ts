/**
 * The tools `mcp serve` offers, as `mcp info` lists them (the SDK's own client over an in-memory
 * transport): pinned by golden files (test/fixtures/mcp/, UPDATE_GOLDEN=1 rewrites them), and
 * under the limactl name held to what Lima's own tests check of its schemas.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixturesDir } from "../../helpers.js";
import { mcpInfo } from "../../../src/mcp.js";

interface Tool {
  name: string;
  inputSchema: { required?: string[]; properties?: Record<string, unknown> };
  outputSchema?: { required?: string[]; properties?: Record<string, unknown> };
}

function golden(name: string, value: unknown): void {
  const dir = join(fixturesDir, "mcp");
  const file = join(dir, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.equal(text, readFileSync(file, "utf8"), `${file} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

const byName = (tools: Tool[], n: string): Tool => {
  const t = tools.find((x) => x.name === n);
  assert.ok(t, `tool ${n}`);
  return t;
};

test("under the limactl name the six tools have Lima's names and schemas", async () => {
  const { tools } = (await mcpInfo("lima")) as { tools: Tool[] };
  assert.deepEqual(tools.map((t) => t.name).sort(), ["glob", "list_directory", "read_file", "run_shell_command", "search_file_content", "write_file"]);
  const rs = byName(tools, "run_shell_command");
  assert.deepEqual(rs.inputSchema.required?.sort(), ["command", "directory"]);
  assert.deepEqual(Object.keys(rs.inputSchema.properties ?? {}).sort(), ["command", "description", "directory"]);
  assert.deepEqual(rs.outputSchema?.required?.sort(), ["stderr", "stdout"]);
  assert.deepEqual(Object.keys(rs.outputSchema?.properties ?? {}).sort(), ["error", "exit_code", "stderr", "stdout"]);
  assert.deepEqual(byName(tools, "write_file").inputSchema.required?.sort(), ["content", "path"]);
  assert.deepEqual(byName(tools, "glob").inputSchema.required, ["pattern"]);
  golden("info-lima", { tools });
});

test("under tslima's name run_shell_command takes a timeout and an output cap, and says what it cut", async () => {
  const { tools } = (await mcpInfo("tslima")) as { tools: Tool[] };
  const rs = byName(tools, "run_shell_command");
  assert.deepEqual(Object.keys(rs.inputSchema.properties ?? {}).sort(), ["command", "description", "directory", "max_output_bytes", "timeout"]);
  assert.deepEqual(rs.inputSchema.required?.sort(), ["command", "directory"], "the additions are optional: Lima's callers work unchanged");
  assert.ok("timed_out" in (rs.outputSchema?.properties ?? {}) && "truncated" in (rs.outputSchema?.properties ?? {}));
  golden("info-tslima", { tools });
});
