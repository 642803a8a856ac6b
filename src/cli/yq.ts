import type { Command } from "commander";
import { isTslimaError } from "../errors.js";
import { limaWords, rawStderr } from "./log.js";

/** The flags of `tslima yq` (yq v4's names). */
interface YqFlags {
  nullInput?: boolean;
  unwrapScalar?: boolean;
  outputFormat?: string;
  inputFormat?: string;
  indent?: string;
  exitStatus?: boolean;
  inplace?: boolean;
  prettyPrint?: boolean;
  securityDisableEnvOps?: boolean;
  securityDisableFileOps?: boolean;
}

const OUTPUT: Record<string, "yaml" | "json" | "props"> = { y: "yaml", yaml: "yaml", yml: "yaml", j: "json", json: "json", p: "props", props: "props", properties: "props" };
const INPUT: Record<string, "yaml" | "json"> = { y: "yaml", yaml: "yaml", yml: "yaml", j: "json", json: "json" };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `tslima yq [EXPR] [FILE...]` (Lima's `limactl yq`, mikefarah's yq v4): evaluates EXPR on each
 * document of each FILE (stdin without one, or for `-`), prints the results or (-i) writes them
 * back. Returns the exit status: 1 with -e when the last result is false or null, or nothing matched.
 */
export async function runYq(args: string[], flags: YqFlags): Promise<number> {
  const [{ TslimaError }, { YqError, YqInputError, parseYq, yqRun }] = await Promise.all([import("../errors.js"), import("../yq.js")]);
  const { existsSync, readFileSync, statSync, writeFileSync } = await import("node:fs");
  const flagError = (msg: string, hint: string) => new TslimaError("INVALID_FLAG", msg, { hint, lima: msg });
  const outputFormat = OUTPUT[flags.outputFormat ?? "yaml"];
  if (outputFormat === undefined) throw flagError(`unknown output format ${JSON.stringify(flags.outputFormat)}`, "use -o yaml, -o json or -o props");
  const inputFormat = INPUT[flags.inputFormat ?? "yaml"];
  if (inputFormat === undefined) throw flagError(`unknown input format ${JSON.stringify(flags.inputFormat)}`, "use -p yaml or -p json");
  const indent = Number(flags.indent ?? "2");
  if (!Number.isInteger(indent) || indent < 0 || indent > 9) throw flagError(`invalid argument ${JSON.stringify(flags.indent)} for "-I, --indent"`, "give an indent of 0 to 9 spaces, e.g. -I 4");
  let [expr, ...files] = args[0] === "eval" || args[0] === "e" ? args.slice(1) : args;
  // yq: with no expression, or when the first word names a file, the expression is `.`
  if (expr === undefined) expr = ".";
  else if (!flags.nullInput && existsSync(expr) && statSync(expr).isFile()) [expr, files] = [".", [expr, ...files]];
  if (flags.inplace && (files.length === 0 || flags.nullInput)) {
    throw flagError("write in place flag only applicable when giving an expression and at least one file", "name the file to edit: limactl yq -i '.cpus = 2' lima.yaml");
  }
  let program;
  try {
    program = parseYq(expr, { ...(flags.securityDisableEnvOps ? {} : { env: { ...process.env } }), fileOpsAllowed: !flags.securityDisableFileOps });
  } catch (e) {
    if (!(e instanceof YqError)) throw e;
    throw new TslimaError("YQ_EXPRESSION", `bad expression '${expr}': ${e.message}`, { hint: "write a yq v4 expression, e.g. '.images[0].location' or '.cpus = 2' (see `limactl yq --help`)", lima: e.message });
  }
  const opts = { inputFormat, outputFormat, indent, unwrap: flags.unwrapScalar === true, pretty: flags.prettyPrint === true };
  const sources = flags.nullInput ? [null] : files.length === 0 ? ["-"] : files;
  const results: unknown[] = [];
  let output = "";
  for (const source of sources) {
    let text: string | null = null;
    if (source === "-") {
      if (process.stdin.isTTY) throw new TslimaError("YQ_INPUT", "no input: stdin is a terminal", { hint: "pipe YAML into limactl yq, name a file, or give -n for no input" });
      text = await readStdin();
    } else if (source !== null) {
      try {
        text = readFileSync(source, "utf8");
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const why = err.code === "ENOENT" ? "no such file or directory" : err.code === "EISDIR" ? "is a directory" : err.message;
        throw new TslimaError("YQ_INPUT", `open ${source}: ${why}`, { hint: "name an existing YAML or JSON file, or pipe the input on stdin" });
      }
    }
    let r;
    try {
      r = yqRun(program, text, source ?? "-", opts);
    } catch (e) {
      if (e instanceof YqInputError) throw new TslimaError("YQ_INPUT", e.message, { hint: inputFormat === "json" ? "the input must be JSON (-p json)" : "the input must be YAML; give -p json for JSON", lima: e.message });
      if (e instanceof YqError) throw new TslimaError("YQ_EXPRESSION", `${e.message} (in '${expr}')`, { hint: "check the expression against the input's shape, e.g. with limactl yq '. | keys'", lima: e.message });
      throw e;
    }
    if (flags.inplace && source !== null) writeFileSync(source, r.output);
    // yq prints `---` between the documents of different files too
    else output += (outputFormat === "yaml" && output !== "" && r.output !== "" ? "---\n" : "") + r.output;
    results.push(...r.results);
  }
  process.stdout.write(output);
  if (flags.exitStatus) {
    if (results.length === 0) rawStderr("Error: no matches found\n");
    const last = results[results.length - 1];
    if (results.length === 0 || last === null || last === false) return 1;
  }
  return 0;
}

export function register(program: Command): void {
  program
    .command("yq")
    .description("Query or edit YAML/JSON with a yq v4 expression, keeping comments (Lima's `limactl yq`)")
    .argument("[expression]", "yq expression, e.g. '.cpus', '.cpus = 2' or 'select(.a == 1)'; '.' when omitted")
    .argument("[files...]", "YAML or JSON files (stdin without one, or for -)")
    .option("-n, --null-input", "evaluate on null instead of reading input")
    .option("-r, --unwrapScalar", "print strings bare also with -o json (yaml output always does)")
    .option("-o, --output-format <format>", "yaml, json or props (y, j, p)")
    .option("-p, --input-format <format>", "yaml or json (y, j)")
    .option("-I, --indent <n>", "indent of the output (default 2; 0 prints JSON on one line)")
    .option("-e, --exit-status", "exit 1 when the last result is false or null, or nothing matched")
    .option("-i, --inplace", "write the result back to the file(s)")
    .option("-P, --prettyPrint", "block style and plain scalars")
    .option("-V, --version", "print the version (of the yq language; tslima's implementation)")
    .option("--security-disable-env-ops", "refuse env() and strenv()")
    .option("--security-disable-file-ops", "refuse load()")
    .action(async (expr: string | undefined, files: string[], flags: YqFlags & { version?: boolean }) => {
      if (flags.version === true) {
        const { TSLIMA_VERSION } = await import("../version.js");
        process.stdout.write(`yq (https://github.com/mikefarah/yq/ v4 language, tslima's TypeScript implementation) version v4+tslima.${TSLIMA_VERSION}\n`);
        return;
      }
      let status: number;
      try {
        status = await runYq(expr === undefined ? [] : [expr, ...files], flags);
      } catch (e) {
        // Lima's `limactl yq` is mikefarah's yq: its errors are `Error: ...` lines, not log lines
        if (!limaWords() || !isTslimaError(e)) throw e;
        rawStderr(`Error: ${e.lima ?? e.message}\n`);
        status = 1;
      }
      if (status !== 0) process.exitCode = status;
    });
}
