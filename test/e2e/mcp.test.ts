/**
 * The MCP server (issue 27), driven as an agent drives it: the protocol SDK's own client spawns
 * `limactl mcp serve` / `tslima mcp serve` over stdio and calls the tools on a real VM (a clone of
 * the run's base snapshot). Lima's server and its six tools with Lima's results and errors; tslima's
 * bounded and concurrent calls; `--from SNAP`: a fresh instance per connection with the project
 * folder mounted, checkpoints and resets, deleted when the client disconnects, and deleted by the
 * next command when the server itself is killed.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { spawn } from "node:child_process";
import type { RunningInstance } from "../../src/index.js";
import { cliPath, repoRoot } from "../helpers.js";
import { waitGone } from "../../src/proc/pid.js";
import { baseSnapshot, bootGuest, Cli, parseList } from "./harness.js";

const cli = new Cli("mcp");
const LONG = { timeout: 30 * 60_000 };
const project = join(cli.root, "project");
const limactlPath = join(cliPath, "..", "limactl.js");
let vm: RunningInstance | undefined;

before(async () => {
  await baseSnapshot();
  mkdirSync(join(project, "src"), { recursive: true });
  writeFileSync(join(project, "src", "needle.txt"), "first line\nthe needle 💡 is here\n");
  vm = await bootGuest(cli, { from: "base-snapshot", name: "vm" });
}, LONG);
after(async () => {
  await vm?.[Symbol.asyncDispose]();
  await cli.cleanup(["vm", "sb1", "sb2"]);
});

interface Session extends AsyncDisposable {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
}

/** An MCP client connected to `PROG mcp serve ARGS...`, run in the project folder. */
async function connect(prog: "tslima" | "limactl", args: string[]): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [prog === "tslima" ? cliPath : limactlPath, "mcp", "serve", ...args],
    cwd: project,
    env: cli.env() as Record<string, string>,
    stderr: "pipe",
  });
  const err: Buffer[] = [];
  transport.stderr?.on("data", (b: Buffer) => err.push(b));
  const client = new Client({ name: "tslima-e2e", version: "1" });
  await client.connect(transport);
  return { client, transport, stderr: () => Buffer.concat(err).toString("utf8"), [Symbol.asyncDispose]: () => client.close() };
}

interface Result {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

async function call(s: Session, name: string, args: Record<string, unknown>): Promise<Result> {
  return (await s.client.callTool({ name, arguments: args }, undefined, { timeout: 10 * 60_000 })) as Result;
}

/** A successful call's structured result, checked to be the same as its JSON text. */
async function ok(s: Session, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await call(s, name, args);
  assert.notEqual(r.isError, true, `${name} ${JSON.stringify(args)}: ${r.content[0]?.text}`);
  assert.deepEqual(JSON.parse(r.content[0]?.text ?? ""), r.structuredContent, "the text content is the structured content as JSON");
  return r.structuredContent ?? {};
}

async function failure(s: Session, name: string, args: Record<string, unknown>): Promise<string> {
  const r = await call(s, name, args);
  assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} should fail: ${JSON.stringify(r)}`);
  return r.content[0]?.text ?? "";
}

async function sh(name: string, script: string): Promise<string> {
  const r = await cli.run(["shell", name, "--", "sh", "-c", script]);
  assert.equal(r.code, 0, `${name}: ${script}\n${r.stderr}`);
  return r.stdout;
}

test("limactl mcp serve: Lima's server, its six tools, their results and errors", LONG, async () => {
  await using s = await connect("limactl", ["vm"]);
  assert.equal(s.client.getServerVersion()?.name, "lima");
  const { tools } = await s.client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ["glob", "list_directory", "read_file", "run_shell_command", "search_file_content", "write_file"]);
  const rs = tools.find((t) => t.name === "run_shell_command");
  assert.deepEqual(Object.keys(rs?.inputSchema.properties ?? {}).sort(), ["command", "description", "directory"]);

  const osRelease = await sh("vm", "cat /etc/os-release");
  assert.deepEqual(await ok(s, "run_shell_command", { directory: "/etc", command: ["cat", "os-release"] }), { stdout: osRelease, stderr: "", exit_code: 0 });
  assert.deepEqual(await ok(s, "run_shell_command", { directory: "/", command: ["bash", "-c", "echo NO>&2; exit 13"] }), { stdout: "", stderr: "NO\n", error: "exit status 13", exit_code: 13 });
  const missing = await ok(s, "run_shell_command", { directory: "/etcetera", command: ["cat", "os-release"] });
  assert.equal(missing.exit_code, 1);
  assert.match(String(missing.stderr), /No such file or directory/);

  assert.deepEqual(await ok(s, "read_file", { path: "/etc/os-release" }), { content: osRelease });
  assert.equal(await failure(s, "read_file", { path: "/etc/os-release-info" }), "file does not exist");
  assert.match(await failure(s, "read_file", { path: "os-release" }), /expected an absolute path/);

  await sh("vm", "rm -rf /tmp/mcp && mkdir -p /tmp/mcp/ro && chmod 555 /tmp/mcp/ro");
  assert.deepEqual(await ok(s, "write_file", { path: "/tmp/mcp/a/b/new.txt", content: "foo" }), {});
  await ok(s, "write_file", { path: "/tmp/mcp/a/b/new.txt", content: "ba" });
  assert.equal(await sh("vm", "cat /tmp/mcp/a/b/new.txt"), "ba", "overwritten, not merged");
  assert.equal(await failure(s, "write_file", { path: "/tmp/mcp/ro/x", content: "x" }), "permission denied");
  assert.match(await failure(s, "write_file", { path: "tmp/x", content: "x" }), /expected an absolute path/);

  const listing = (await ok(s, "list_directory", { path: "/tmp/mcp" })).entries as { name: string; is_dir: boolean; mode: number }[];
  assert.deepEqual(listing.map((e) => [e.name, e.is_dir]), [["a", true], ["ro", true]]);
  assert.equal(listing[1]?.mode, 2 ** 31 + 0o555, "Go's fs.FileMode, as Lima gives it");

  assert.ok(((await ok(s, "glob", { pattern: "*-release", path: "/etc" })).matches as string[]).includes("/etc/os-release"));
  assert.deepEqual((await ok(s, "glob", { pattern: "nothing.to.see", path: "/etc" })).matches, []);
  // the project folder (the server's working directory) is not shared with vm: refused, saying so
  assert.match(await failure(s, "glob", { pattern: "*" }), new RegExp(`${project}.*not shared with instance vm`));

  await ok(s, "write_file", { path: "/tmp/mcp/s/one.txt", content: "x\nthe needle 💡\n" });
  await ok(s, "write_file", { path: "/tmp/mcp/s/sub/two.md", content: "needle\n" });
  assert.equal((await ok(s, "search_file_content", { pattern: "needle", path: "/tmp/mcp/s" })).git_grep_output, "one.txt:2:the needle 💡\nsub/two.md:1:needle\n");
  assert.equal((await ok(s, "search_file_content", { pattern: "💡", path: "/tmp/mcp/s" })).git_grep_output, "one.txt:2:the needle 💡\n");
  assert.equal((await ok(s, "search_file_content", { pattern: "needle", path: "/tmp/mcp/s", include: "*.md" })).git_grep_output, "sub/two.md:1:needle\n");
  assert.equal((await ok(s, "search_file_content", { pattern: "💡 not found", path: "/tmp/mcp/s" })).git_grep_output, "");
});

test("mcp serve refuses an instance that does not run, before serving", LONG, async () => {
  const r = await cli.run(["mcp", "serve", "nosuch"], { cwd: project });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nosuch/);
  assert.equal(r.stdout, "", "nothing on the protocol's stream");
});

test("tslima mcp serve: a timeout kills the command's processes, the output is capped, calls run side by side", LONG, async () => {
  await using s = await connect("tslima", ["vm"]);
  assert.equal(s.client.getServerVersion()?.name, "tslima");
  const slow = await ok(s, "run_shell_command", { directory: "/", command: ["sh", "-c", "sleep 300 & sleep 301; echo never"], timeout: 3 });
  assert.equal(slow.timed_out, true);
  assert.equal(slow.exit_code, 124);
  assert.equal(slow.stdout, "");
  assert.equal(await sh("vm", "pgrep -f 'sleep 30[01]' || true"), "", "the command and its background child are gone");

  const big = await ok(s, "run_shell_command", { directory: "/", command: ["sh", "-c", "seq 1 100000"], max_output_bytes: 1000 });
  assert.equal(big.truncated, true);
  assert.match(String(big.stdout), /output cut/);
  assert.ok(String(big.stdout).endsWith("99999\n100000\n"), "the last bytes are kept");
  assert.ok(String(big.stdout).length < 1200);

  // each command waits for the other's file: they finish only when both run at once
  const wait = (mine: string, other: string) => ["sh", "-c", `touch /tmp/${mine}; while [ ! -e /tmp/${other} ]; do sleep 0.2; done; echo ${mine}`];
  await sh("vm", "rm -f /tmp/conc-a /tmp/conc-b");
  const [a, b] = await Promise.all([
    ok(s, "run_shell_command", { directory: "/", command: wait("conc-a", "conc-b"), timeout: 120 }),
    ok(s, "run_shell_command", { directory: "/", command: wait("conc-b", "conc-a"), timeout: 120 }),
  ]);
  assert.deepEqual([a.stdout, b.stdout, a.exit_code, b.exit_code], ["conc-a\n", "conc-b\n", 0, 0]);
});

test("mcp serve --from: a fresh instance per connection, with the project mounted, checkpoints and resets, gone at the end", LONG, async () => {
  assert.ok(vm);
  await vm.snapshot("mcpsnap");
  {
    await using s = await connect("tslima", ["--from", "mcpsnap", "--name", "sb1"]);
    const listed = parseList((await cli.ok(["list", "--json"])).stdout).find((i) => i.name === "sb1");
    assert.equal(listed?.status, "Running");
    const { tools } = await s.client.listTools();
    for (const t of ["create_checkpoint", "list_checkpoints", "reset_sandbox"]) assert.ok(tools.some((x) => x.name === t), t);

    // host paths in the project folder work in the guest, and come back as host paths
    assert.deepEqual((await ok(s, "glob", { pattern: "src/*.txt" })).matches, [join(project, "src", "needle.txt")]);
    assert.equal((await ok(s, "search_file_content", { pattern: "needle" })).git_grep_output, "src/needle.txt:2:the needle 💡 is here\n");
    await ok(s, "write_file", { path: join(project, "out", "made.txt"), content: "by the agent" });
    assert.equal(readFileSync(join(project, "out", "made.txt"), "utf8"), "by the agent", "written through the mount into the host folder");
    assert.equal((await ok(s, "run_shell_command", { directory: join(project, "src"), command: ["cat", "needle.txt"] })).stdout, "first line\nthe needle 💡 is here\n");

    await ok(s, "write_file", { path: "/tmp/before", content: "1" });
    const cp = await ok(s, "create_checkpoint", { name: "cp1" });
    assert.equal(cp.checkpoint, "cp1");
    assert.deepEqual((await ok(s, "list_checkpoints", {})).checkpoints, [{ name: "cp1", created: cp.created }]);
    await ok(s, "write_file", { path: "/tmp/after", content: "2" });
    await ok(s, "run_shell_command", { directory: "/", command: ["sh", "-c", "echo broken | sudo tee /etc/motd >/dev/null"] });
    assert.deepEqual(await ok(s, "reset_sandbox", { checkpoint: "cp1" }), { reset_to: "checkpoint cp1" });
    assert.equal(await failure(s, "read_file", { path: "/tmp/after" }), "file does not exist");
    assert.deepEqual(await ok(s, "read_file", { path: "/tmp/before" }), { content: "1" });
    assert.notEqual((await ok(s, "read_file", { path: "/etc/motd" })).content, "broken\n");
    await ok(s, "reset_sandbox", {});
    assert.equal(await failure(s, "read_file", { path: "/tmp/before" }), "file does not exist", "back to the snapshot it started from");
    assert.match(await failure(s, "reset_sandbox", { checkpoint: "nope" }), /no checkpoint named nope.*cp1/);
    assert.ok((await cli.ok(["snapshot", "list"])).stdout.includes("sb1-cp1"));
  }
  // the client closed the connection: the instance and its checkpoint are gone
  assert.equal(parseList((await cli.ok(["list", "--json"])).stdout).find((i) => i.name === "sb1"), undefined);
  assert.ok(!(await cli.ok(["snapshot", "list"])).stdout.includes("sb1-cp1"));
  assert.ok(existsSync(join(project, "out", "made.txt")), "the host's files stay");
});

test("a killed server's --from instance is deleted by the next tslima command", LONG, async () => {
  const s = await connect("tslima", ["--from", "mcpsnap", "--name", "sb2"]);
  await ok(s, "run_shell_command", { directory: "/", command: ["true"] });
  const pid = s.transport.pid;
  assert.ok(pid);
  process.kill(pid, "SIGKILL");
  await s.client.close();
  const r = await cli.ok(["list", "--json"]);
  assert.match(r.stderr, /deleted instance sb2: its owner \(mcp serve --from mcpsnap\) has ended/);
  assert.equal(parseList(r.stdout).find((i) => i.name === "sb2"), undefined);
  assert.equal(existsSync(join(cli.home, "sb2")), false);
});

test("a --from instance is deleted when its client is killed (the server sees stdin close)", LONG, async () => {
  // the agent: a process of its own that spawns the server over stdio, as an agent does, then is SIGKILLed
  const agent = `
    import { Client } from "@modelcontextprotocol/sdk/client/index.js";
    import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
    const transport = new StdioClientTransport({ command: process.execPath, args: ${JSON.stringify([cliPath, "mcp", "serve", "--from", "mcpsnap", "--name", "sb3"])}, cwd: ${JSON.stringify(project)}, env: process.env, stderr: "inherit" });
    const client = new Client({ name: "doomed-agent", version: "1" });
    await client.connect(transport);
    await client.callTool({ name: "run_shell_command", arguments: { directory: "/", command: ["true"] } });
    console.log("ready " + transport.pid);
    setInterval(() => undefined, 1000);
  `;
  const client = spawn(process.execPath, ["--input-type=module", "-e", agent], { cwd: repoRoot, env: cli.env(), stdio: ["ignore", "pipe", "pipe"] });
  const serverPid = await new Promise<number>((resolve, reject) => {
    let out = "";
    client.stdout.on("data", (b: Buffer) => {
      out += b.toString("utf8");
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    client.once("exit", (code) => reject(new Error(`the agent ended (${code}) before it was connected`)));
  });
  assert.ok(parseList((await cli.ok(["list", "--json"])).stdout).some((i) => i.name === "sb3"));
  client.kill("SIGKILL");
  const gone = await waitGone(serverPid, 60_000);
  assert.ok(gone, "the server ends once its client is gone");
  const r = await cli.ok(["list", "--json"]);
  assert.equal(parseList(r.stdout).find((i) => i.name === "sb3"), undefined);
  assert.doesNotMatch(r.stderr, /deleted instance sb3/, "the server deleted it itself: nothing was left for the next command");
});

test("mcp serve --http: a bearer token, a fresh instance per session, each deleted with its session or at the server's stop", LONG, async () => {
  const server = spawn(process.execPath, [cliPath, "mcp", "serve", "--from", "mcpsnap", "--http"], { cwd: project, env: cli.env(), stdio: ["ignore", "pipe", "pipe"] });
  const err: Buffer[] = [];
  server.stderr.on("data", (b: Buffer) => err.push(b));
  const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
  try {
    const first = await new Promise<string>((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (b: Buffer) => {
        out += b.toString("utf8");
        if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
      });
      server.once("exit", () => reject(new Error(`the server ended before listening:\n${Buffer.concat(err).toString("utf8")}`)));
    });
    const { url, token } = JSON.parse(first) as { url: string; token: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18" } });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    assert.equal((await fetch(url, { method: "POST", headers, body: init })).status, 401, "no token");
    assert.equal((await fetch(url, { method: "POST", headers: { ...headers, authorization: "Bearer wrong" }, body: init })).status, 401, "a wrong token");

    const open = async () => {
      const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
      const client = new Client({ name: "tslima-e2e-http", version: "1" });
      await client.connect(transport);
      return { client, transport };
    };
    const [a, b] = await Promise.all([open(), open()]);
    const hostname = async (c: Client) =>
      ((await c.callTool({ name: "run_shell_command", arguments: { directory: "/", command: ["hostname"] } }, undefined, { timeout: 10 * 60_000 })) as Result).structuredContent?.stdout;
    const [ha, hb] = [String(await hostname(a.client)), String(await hostname(b.client))];
    assert.match(ha, /^lima-mcp-mcpsnap-[0-9a-f]{6}\n$/);
    assert.notEqual(ha, hb, "each session has an instance of its own");
    const sandboxes = async () => parseList((await cli.ok(["list", "--json"])).stdout).filter((i) => String(i.name).startsWith("mcp-mcpsnap-"));
    assert.equal((await sandboxes()).length, 2);

    await a.transport.terminateSession();
    assert.deepEqual((await sandboxes()).map((i) => `lima-${String(i.name)}\n`), [hb], "the ended session's instance is gone, the other runs on");

    server.kill("SIGTERM");
    assert.equal(await exited, 0, Buffer.concat(err).toString("utf8"));
    assert.deepEqual(await sandboxes(), [], "the server's stop deleted the other");
    await b.client.close().catch(() => undefined);
  } finally {
    server.kill("SIGKILL");
  }
});
