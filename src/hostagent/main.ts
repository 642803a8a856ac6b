#!/usr/bin/env node
// The detached host agent: `node dist/src/hostagent/main.js <instance dir>`.
// stdout (ha.stdout.log) gets JSON event lines, stderr (ha.stderr.log) a human log.
import { runHostAgent } from "./agent.js";
import { formatEvent } from "../store/events.js";
import { parseAgentArgs } from "./agent-io.js";

const args = parseAgentArgs(process.argv.slice(2));
if (args === undefined) {
  process.stderr.write("usage: main.js <instance dir> [--progress]\n");
  process.exit(2);
}
const { dir, progress } = args;
const stop = new AbortController();
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.on(sig, () => {
    process.stderr.write(`${new Date().toISOString()} received ${sig}\n`);
    stop.abort(sig);
  });
}
// Requests come on <instance>/ha.sock (control.ts). An older tslima signalled SIGUSR2: not fatal here.
process.on("SIGUSR2", () => {
  process.stderr.write(`${new Date().toISOString()} ignored SIGUSR2 (an older tslima's request; requests go through ha.sock)\n`);
});
const io = {
  emit: (e: Parameters<typeof formatEvent>[0]) => void process.stdout.write(formatEvent(e)),
  log: (m: string) => void process.stderr.write(`${new Date().toISOString()} ${m}\n`),
};
try {
  process.exitCode = await runHostAgent(dir, io, { stop: stop.signal, ...(progress ? { progress } : {}) });
} catch (e) {
  const message = `host agent crashed: ${(e as Error).message}`;
  io.emit({ status: { errors: [message], exiting: true }, kind: "failed", error: { code: "INTERNAL", message, hint: "this is a bug in tslima; the stack is in ha.stderr.log" } });
  io.log((e as Error).stack ?? String(e));
  process.exitCode = 1;
}
// Nothing is left to wait for; do not linger on stray handles.
process.exit();
