/**
 * The MCP tools' names, descriptions and schemas (pure): Lima's "MCP Sandbox Interface" (shaped
 * after Gemini CLI's built-in tools), with Lima's field names, required fields and wording, so an
 * agent or test written for `limactl mcp serve` sees the same tools. `flavour: "tslima"` adds
 * tslima's fields (each optional, so Lima's callers are unaffected): a timeout and an output cap
 * for run_shell_command and what a result left out. Under the limactl name the schemas are Lima's
 * exactly (Lima's own tests pin them). The undo tools (undo.ts) exist only for `--from` sandboxes.
 */
import { z } from "zod";

export type Flavour = "lima" | "tslima";

export const absPath = (what: string) => z.string().describe(`The absolute path to ${what}.`);

export function listDirectoryTool() {
  return {
    name: "list_directory",
    description: "Lists the names of files and subdirectories directly within a specified directory path.",
    input: { path: absPath("the directory to list") },
    output: {
      entries: z
        .array(
          z.object({
            name: z.string().describe("base name of the file"),
            size: z.number().int().optional().describe("length in bytes for regular files; system-dependent for others"),
            mode: z.number().int().optional().describe("file mode bits"),
            time: z.string().optional().describe("modification time"),
            is_dir: z.boolean().optional().describe("true for a directory"),
          }),
        )
        .describe("The directory content entries."),
    },
  };
}

export function readFileTool() {
  return {
    name: "read_file",
    description: "Reads and returns the content of a specified file.",
    input: { path: absPath("the file to read") },
    output: { content: z.string().describe("The content of the file.") },
  };
}

export function writeFileTool() {
  return {
    name: "write_file",
    description:
      "Writes content to a specified file. If the file exists, it will be overwritten. If the file doesn't exist, it (and any necessary parent directories) will be created.",
    input: { path: absPath("the file to write to"), content: z.string().describe("The content to write into the file.") },
    output: {},
  };
}

export function globTool(flavour: Flavour) {
  return {
    name: "glob",
    description: "Finds files matching specific glob patterns (e.g., src/**/*.ts, *.md)",
    input: {
      pattern: z.string().describe("The glob pattern to match against (e.g., '*.py', 'src/**/*.js')."),
      path: z.string().optional().describe("The absolute path to the directory to search within. If omitted, searches the tool's root directory."),
    },
    output: {
      matches: z.array(z.string()).describe("A list of absolute file paths that match the provided glob pattern."),
      ...(flavour === "tslima" ? { truncated: z.boolean().optional().describe("true when the search stopped at its limit (10000 matches or 20000 directories)") } : {}),
    },
  };
}

export function searchFileContentTool() {
  return {
    name: "search_file_content",
    description: "Searches for a regular expression pattern within the content of files in a specified directory. Internally calls 'git grep -n --no-index'.",
    input: {
      pattern: z.string().describe("The regular expression (regex) to search for (e.g., 'function\\s+myFunction')."),
      path: z.string().optional().describe("The absolute path to the directory to search within. Defaults to the current working directory."),
      include: z
        .string()
        .optional()
        .describe("A glob pattern to filter which files are searched (e.g., '*.js', 'src/**/*.{ts,tsx}'). If omitted, searches most files (respecting common ignores)."),
    },
    output: {
      git_grep_output: z
        .string()
        .describe("The raw output from the 'git grep -n --no-index' command, containing matching lines with filenames and line numbers."),
    },
  };
}

export function runShellCommandTool(flavour: Flavour) {
  const extra = flavour === "tslima";
  return {
    name: "run_shell_command",
    description: "Executes a given shell command.",
    input: {
      command: z
        .array(z.string())
        .describe("The exact shell command to execute. Defined as a string slice, unlike Gemini's run_shell_command that defines it as a single string."),
      description: z.string().optional().describe("A brief description of the command's purpose, which will be potentially shown to the user."),
      directory: z
        .string()
        .describe("The absolute directory in which to execute the command. Unlike Gemini's run_shell_command, this must not be a relative path, and must not be empty."),
      ...(extra
        ? {
            timeout: z.number().positive().optional().describe("Seconds after which the command is killed (default: the server's --timeout)."),
            max_output_bytes: z.number().int().positive().optional().describe("Keep at most this many bytes of each of stdout and stderr, the last ones (default: the server's --max-output)."),
          }
        : {}),
    },
    output: {
      stdout: z.string().describe("Output from the standard output stream."),
      stderr: z.string().describe("Output from the standard error stream."),
      error: z.string().optional().describe("Any error message reported by the subprocess."),
      exit_code: z.number().int().optional().describe("Exit code of the command."),
      ...(extra
        ? {
            timed_out: z.boolean().optional().describe("true when the command ran past its timeout and was killed"),
            truncated: z.boolean().optional().describe("true when stdout or stderr was cut to max_output_bytes (the text starts with a note of how much)"),
          }
        : {}),
    },
  };
}
