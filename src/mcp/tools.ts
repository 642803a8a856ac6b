/**
 * The six tools of Lima's MCP Sandbox Interface, run in the sandbox instance: the file tools over
 * the sandbox's SFTP session, run_shell_command and search_file_content as guest commands over ssh
 * (`exec`, Lima's `limactl shell --workdir`). Each result carries `structuredContent` and the same
 * data as JSON text; a failure is an `isError` result whose text is the error's message ("file does
 * not exist", "permission denied", "expected an absolute path, ..."), as Lima's.
 */
import { posix } from "node:path";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { exec } from "../instance/shell.js";
import { shellJoin } from "../proc/quote.js";
import { MCP_SEARCH_SH } from "../guest/embedded.js";
import { glob } from "./glob.js";
import { toAgentPath, toGuestPath } from "./paths.js";
import { goFileMode } from "./file-mode.js";
import { shellResult, type ShellResult } from "./shell-result.js";
import { globTool, listDirectoryTool, readFileTool, runShellCommandTool, searchFileContentTool, writeFileTool, type Flavour } from "./schemas.js";
import type { Sandbox, SandboxHolder } from "./sandbox.js";

export interface ToolOptions {
  flavour: Flavour;
  /** run_shell_command's timeout when the call gives none, in seconds. */
  timeoutSeconds: number;
  /** What run_shell_command keeps of each stream when the call gives no max_output_bytes. */
  maxOutputBytes: number;
}

/** A result with structuredContent and the same data as JSON text. */
export function structured(data: object): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(data) }], structuredContent: data as Record<string, unknown> };
}

const READ_LIMIT = 32 << 20;

async function listDirectory(s: Sandbox, args: { path: string }) {
  const entries = await s.sftp.readdir(toGuestPath(args.path, s.paths));
  return {
    entries: entries.map((e) => ({ name: e.name, size: e.size, mode: goFileMode(e.mode), time: e.mtime.toISOString(), is_dir: e.isDir })),
  };
}

async function writeFile(s: Sandbox, args: { path: string; content: string }) {
  const p = toGuestPath(args.path, s.paths);
  await s.sftp.mkdirAll(posix.dirname(p));
  await s.sftp.writeFile(p, args.content);
  return {};
}

/** The guest directory glob and search_file_content look in: the given path, else the project folder. */
function searchRoot(s: Sandbox, path: string | undefined): string {
  return toGuestPath(path !== undefined && path !== "" ? path : s.paths.project, s.paths);
}

async function globFiles(s: Sandbox, args: { pattern: string; path?: string | undefined }, flavour: Flavour) {
  const base = searchRoot(s, args.path);
  const fs = {
    readdir: async (dir: string) => (await s.sftp.readdir(dir)).map((e) => ({ name: e.name, isDir: e.isDir })),
    exists: async (p: string) => s.sftp.lstat(p).then(() => true, () => false),
  };
  const r = await glob(posix.join(base, args.pattern), fs);
  const matches = r.matches.map((m) => toAgentPath(m, s.paths));
  return flavour === "tslima" && r.truncated ? { matches, truncated: true } : { matches };
}

async function runShellCommand(s: Sandbox, args: { command: string[]; directory: string; timeout?: number | undefined; max_output_bytes?: number | undefined }, o: ToolOptions): Promise<ShellResult> {
  if (args.command.length === 0) throw new Error("command is empty");
  const workdir = toGuestPath(args.directory, s.paths);
  const seconds = args.timeout ?? o.timeoutSeconds;
  // The guest's `timeout` kills the command's whole process group; ssh's own timeout is the backstop.
  const command = ["timeout", "-k", "5", String(seconds), "sh", "-c", shellJoin(args.command)];
  const r = await exec(s.name, command, { home: s.home, workdir, timeoutMs: (seconds + 30) * 1000, maxOutputBytes: args.max_output_bytes ?? o.maxOutputBytes });
  return shellResult(r, seconds, o.flavour);
}

async function searchFileContent(s: Sandbox, args: { pattern: string; path?: string | undefined; include?: string | undefined }, o: ToolOptions) {
  const dir = searchRoot(s, args.path);
  const command = ["sh", "-c", MCP_SEARCH_SH, "search", args.pattern, ...(args.include ? [args.include] : [])];
  const r = await exec(s.name, command, { home: s.home, workdir: dir, timeoutMs: o.timeoutSeconds * 1000, maxOutputBytes: o.maxOutputBytes });
  // 1 is "no match"; an error (a bad pattern, a missing directory) with nothing found is the tool's error
  if (r.exitCode >= 2 && r.stdout === "") throw new Error(r.stderr.trim() || `search failed: exit status ${r.exitCode}`);
  return { git_grep_output: r.stdout };
}

async function readFile(s: Sandbox, args: { path: string }) {
  return { content: (await s.sftp.readFile(toGuestPath(args.path, s.paths), READ_LIMIT)).toString("utf8") };
}

/** Registers the six tools on `server`; each call takes the holder's current sandbox. */
export function registerTools(server: McpServer, holder: SandboxHolder, o: ToolOptions): void {
  const config = <I, O>(t: { description: string; input: I; output: O }) => ({ description: t.description, inputSchema: t.input, outputSchema: t.output });
  const on = <A, R extends object>(fn: (s: Sandbox, a: A) => Promise<R>) => async (a: A) => structured(await holder.use((s) => fn(s, a)));
  const ld = listDirectoryTool();
  server.registerTool(ld.name, config(ld), on(listDirectory));
  const rf = readFileTool();
  server.registerTool(rf.name, config(rf), on(readFile));
  const wf = writeFileTool();
  server.registerTool(wf.name, config(wf), on(writeFile));
  const gl = globTool(o.flavour);
  server.registerTool(gl.name, config(gl), on((s, a: { pattern: string; path?: string | undefined }) => globFiles(s, a, o.flavour)));
  const sf = searchFileContentTool();
  server.registerTool(sf.name, config(sf), on((s, a: { pattern: string; path?: string | undefined; include?: string | undefined }) => searchFileContent(s, a, o)));
  const rs = runShellCommandTool(o.flavour);
  server.registerTool(rs.name, config(rs), on((s, a: { command: string[]; directory: string; timeout?: number | undefined; max_output_bytes?: number | undefined }) => runShellCommand(s, a, o)));
}
