import type { Command } from "commander";
import { TslimaError } from "../errors.js";
import { info, limaWords, warn } from "./log.js";
import { parseMountFlag } from "./overrides.js";

interface ServeFlags {
  from?: string;
  name?: string;
  mount?: string[];
  mountNone?: boolean;
  timeout: string;
  maxOutput: string;
  http?: string | true;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function positive(flag: string, v: string, what: string): number {
  if (!/^\d+$/.test(v) || Number(v) <= 0) {
    throw new TslimaError("INVALID_FLAG", `${flag} ${JSON.stringify(v)} is not ${what}`, { hint: "give a whole number above 0" });
  }
  return Number(v);
}

/**
 * `mcp serve [INSTANCE]` and `mcp info` (Lima's `limactl mcp`, its limactl-mcp plugin): an MCP
 * server on stdio whose tools run in the instance (default "default"), for AI agents; `--from SNAP`
 * serves a fresh instance made from a booted snapshot for this connection only. Messages go to
 * stderr: stdout carries the protocol.
 */
export function register(program: Command): void {
  const mcp = program.command("mcp").description("Model Context Protocol server for AI agents: their commands and file edits run in an instance (Lima's `limactl mcp`)");
  mcp
    .command("serve")
    .description("serve MCP over stdio (run by an AI agent, not by hand)")
    .argument("[instance]", "a running instance (default: default)")
    .option("--from <snapshot>", "serve a fresh instance made from this booted snapshot, deleted when the connection ends")
    .option("--name <name>", "with --from: the fresh instance's name (default mcp-SNAPSHOT-XXXXXX)")
    .option("--mount <dir[:w]>", "with --from: a host folder to share (repeatable; default the working directory, writable)", collect)
    .option("--mount-none", "with --from: share no host folder")
    .option("--timeout <seconds>", "run_shell_command's default timeout", "600")
    .option("--http [port]", "serve MCP's streamable HTTP on 127.0.0.1:PORT/mcp (default a free port) instead of stdio; prints the URL and bearer token (TSLIMA_MCP_TOKEN, if set, is the token) as JSON")
    .option("--max-output <bytes>", "run_shell_command's default cap of stdout and of stderr (the last bytes are kept)", "1048576")
    .action(async (instance: string | undefined, flags: ServeFlags) => {
      const { serveMcp, serveMcpHttp } = await import("../mcp.js");
      const bad = (flag: string, why: string, hint: string) => new TslimaError("INVALID_FLAG", `${flag} ${why}`, { hint });
      if (flags.from === undefined && (flags.name !== undefined || flags.mount !== undefined || flags.mountNone === true)) {
        throw bad(flags.name !== undefined ? "--name" : flags.mount !== undefined ? "--mount" : "--mount-none", "needs --from", "these flags describe the fresh instance --from SNAP makes; a running instance keeps its own mounts");
      }
      if (flags.from !== undefined && instance !== undefined) throw bad("--from", `and an instance name (${instance}) exclude each other`, "give --from SNAP to serve a fresh instance, or INSTANCE to serve a running one");
      if (flags.mountNone === true && flags.mount !== undefined) throw bad("--mount-none", "conflicts with --mount", "use one of them");
      const timeoutSeconds = positive("--timeout", flags.timeout, "a number of seconds");
      const maxOutputBytes = positive("--max-output", flags.maxOutput, "a number of bytes");
      if (flags.http !== undefined && flags.name !== undefined) throw bad("--name", "cannot be used with --http", "over HTTP each session gets an instance of its own, named mcp-SNAPSHOT-XXXXXX");
      const mounts = flags.mountNone === true ? [] : flags.mount?.map((m) => parseMountFlag(m, process.cwd()));
      const common = {
        flavour: limaWords() ? ("lima" as const) : ("tslima" as const),
        timeoutSeconds,
        maxOutputBytes,
        onMessage: (m: string) => info(m),
        onWarning: (m: string) => warn(m),
        ...(flags.from !== undefined ? { from: flags.from } : {}),
        ...(mounts !== undefined ? { mounts } : {}),
      };
      if (flags.http === undefined) {
        await serveMcp(instance, { ...common, ...(flags.name !== undefined ? { name: flags.name } : {}) });
        return;
      }
      const port = flags.http === true ? 0 : Number(flags.http);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad("--http", `${JSON.stringify(flags.http)} is not a port`, "give a TCP port, or --http alone for a free one");
      const token = process.env.TSLIMA_MCP_TOKEN;
      await serveMcpHttp(instance, {
        ...common,
        port,
        ...(token !== undefined && token !== "" ? { token } : {}),
        onListening: (url, tok) => {
          process.stdout.write(`${JSON.stringify({ url, token: tok })}\n`);
          info(`serving MCP on ${url} (Authorization: Bearer TOKEN); stop with Ctrl-C`);
        },
      });
    });
  mcp
    .command("info")
    .description("show the MCP server's tools and their schemas, as JSON")
    .action(async () => {
      const { mcpInfo } = await import("../mcp.js");
      process.stdout.write(JSON.stringify(await mcpInfo(limaWords() ? "lima" : "tslima"), null, 4));
    });
}
