#!/usr/bin/env node
// Lints the guest programs under src/guest (run by `npm run lint`): sh -n and shellcheck for shell
// (.sh as POSIX sh, .bash as bash), python3's compile check for .py (compiled into a temporary
// directory, so no __pycache__ lands in src), perl -c for .pl, and for systemd units (.service,
// .conf drop-ins) the syntax: sections and Key=Value lines of the keys tslima uses.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { guestFiles } from "./embed-guest.js";

const dir = join(new URL("..", import.meta.url).pathname, "src", "guest");
const tmp = mkdtempSync(join(tmpdir(), "tslima-lint-guest-"));
const failures = [];

function run(file, cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) failures.push(`${file}: cannot run ${cmd} (${r.error.message}; scripts/setup installs it)`);
  else if (r.status !== 0) failures.push(`${file}: ${cmd} says:\n${(r.stdout + r.stderr).trim()}`);
}

const PY_COMPILE = "import py_compile, sys\ntry:\n    py_compile.compile(sys.argv[2], cfile=sys.argv[1], doraise=True)\nexcept py_compile.PyCompileError as e:\n    sys.exit(e.msg)";

/** The unit sections and keys the guest units use; anything else is taken for a typo. */
const UNIT_KEYS = {
  Unit: ["Description", "ConditionKernelCommandLine", "Wants", "After", "Before", "Requires"],
  Service: ["Type", "RemainAfterExit", "KillMode", "TimeoutSec", "ExecStart", "StandardOutput", "StandardError"],
  Install: ["WantedBy"],
};

function lintUnit(file, text) {
  let section;
  text.split("\n").forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.trim() === "" || /^[#;]/.test(line)) return;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1];
      if (!(section in UNIT_KEYS)) failures.push(`${where}: unknown section [${section}]`);
      return;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (!kv) failures.push(`${where}: not a Key=Value line: ${line}`);
    else if (!section) failures.push(`${where}: ${kv[1]} before any section`);
    else if (!(UNIT_KEYS[section] ?? []).includes(kv[1])) failures.push(`${where}: key ${kv[1]} not known in [${section}] (add it to UNIT_KEYS in scripts/lint-guest.js if it is right)`);
    else if (kv[2].trim() === "" && kv[1] !== "ExecStart") failures.push(`${where}: ${kv[1]} has no value`);
  });
  if (!text.endsWith("\n")) failures.push(`${file}: no newline at the end`);
}

for (const f of guestFiles()) {
  const p = join(dir, f);
  if (f.endsWith(".sh")) {
    run(f, "sh", ["-n", p]);
    run(f, "shellcheck", ["--shell=sh", "--external-sources", p]);
  } else if (f.endsWith(".bash")) {
    run(f, "bash", ["-n", p]);
    run(f, "shellcheck", ["--shell=bash", p]);
  } else if (f.endsWith(".py")) {
    run(f, "python3", ["-c", PY_COMPILE, join(tmp, "c.pyc"), p]);
  } else if (f.endsWith(".pl")) {
    run(f, "perl", ["-c", p]);
  } else lintUnit(f, readFileSync(p, "utf8"));
}
rmSync(tmp, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(failures.join("\n\n"));
  console.error(`\n${failures.length} problem(s) in the guest programs (src/guest)`);
  process.exit(1);
}
