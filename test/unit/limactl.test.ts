// The `limactl` drop-in (issue 13): `list` and `info` output read by a parser written against Lima's
// JSON (pkg/limatype Instance + store.FormatData, pkg/limainfo LimaInfo: names, Go types, omitempty),
// list's flags and messages, Lima's global flags, `lima`, `completion` and `protect`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { logLines, logSummary } from "../support/logrus.js";
import { repoRoot } from "../helpers.js";
import { extractGlobals } from "../../src/cli/main.js";
import { limaArgv } from "../../src/cli/lima.js";
import { bytesSize, LIST_FIELDS } from "../../src/instance/lima-view.js";

const limactl = join(repoRoot, "bin", "limactl.js");
const tslima = join(repoRoot, "bin", "tslima.js");

// ---- a reader of Lima's JSON, written from Lima's Go types, strict about what it does not know ----

type Kind = "string" | "int" | "bool" | "strings" | "objects" | "object" | "stringMap";
const isInt = (v: unknown) => typeof v === "number" && Number.isInteger(v);
const KIND: Record<Kind, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  int: isInt,
  bool: (v) => typeof v === "boolean",
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === "string"),
  objects: (v) => Array.isArray(v) && v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x)),
  object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  stringMap: (v) => typeof v === "object" && v !== null && Object.values(v).every((x) => typeof x === "string"),
};

/** limatype.Instance's JSON fields: [kind, omitempty] (no omitempty: always present). */
const INSTANCE: Record<string, [Kind, boolean]> = {
  name: ["string", false],
  hostname: ["string", false],
  status: ["string", false],
  dir: ["string", false],
  vmType: ["string", false],
  arch: ["string", false],
  cpus: ["int", true],
  memory: ["int", true],
  disk: ["int", true],
  message: ["string", true],
  additionalDisks: ["objects", true],
  network: ["objects", true],
  sshLocalPort: ["int", true],
  sshConfigFile: ["string", true],
  hostAgentPID: ["int", true],
  driverPID: ["int", true],
  errors: ["strings", true],
  config: ["object", true],
  sshAddress: ["string", true],
  protected: ["bool", false],
  limaVersion: ["string", false],
  param: ["stringMap", true],
  autoStartedIdentifier: ["string", true],
  // store.FormatData's (deprecated) host fields
  HostOS: ["string", false],
  HostArch: ["string", false],
  LimaHome: ["string", false],
  IdentityFile: ["string", false],
};

/** The LimaYAML fields a tool typically reads from `.config`, with their Go types. */
const CONFIG: Record<string, Kind> = { vmType: "string", arch: "string", cpus: "int", memory: "string", disk: "string", mounts: "objects", images: "objects" };

function parseLimaInstance(line: string): Record<string, unknown> {
  const v = JSON.parse(line) as Record<string, unknown>;
  for (const key of Object.keys(v)) assert.ok(Object.hasOwn(INSTANCE, key), `field ${key} is not Lima's`);
  for (const [key, [kind, omitempty]] of Object.entries(INSTANCE)) {
    if (!Object.hasOwn(v, key)) {
      assert.ok(omitempty, `field ${key} is missing (Lima always prints it)`);
      continue;
    }
    assert.ok(KIND[kind](v[key]), `field ${key} is ${JSON.stringify(v[key])}, not ${kind}`);
  }
  assert.ok(["Uninitialized", "Installing", "Broken", "Stopped", "Running", "Suspended"].includes(v.status as string), `status ${String(v.status)}`);
  if (v.config !== undefined) {
    const c = v.config as Record<string, unknown>;
    for (const [key, kind] of Object.entries(CONFIG)) assert.ok(KIND[kind](c[key]), `config.${key} is ${JSON.stringify(c[key])}, not ${kind}`);
    assert.ok(isInt((c.ssh as Record<string, unknown>).localPort), "config.ssh.localPort");
  }
  return v;
}

/** limainfo.LimaInfo's JSON fields (all always present). */
const INFO: Record<string, Kind> = {
  version: "string",
  templates: "objects",
  limaHome: "string",
  vmTypes: "strings",
  vmTypesEx: "object",
  guestAgents: "object",
  shellEnvBlock: "strings",
  hostOS: "string",
  hostArch: "string",
  identityFile: "string",
  plugins: "objects",
  libexecPaths: "strings",
  sharePaths: "strings",
};

// ---- fixtures ----

function run(bin: string, args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

const LIMA_YAML = 'images:\n- location: "/nonexistent.qcow2"\n  arch: "x86_64"\ncpus: 1\nmemory: 1GiB\ndisk: 3GiB\nparam:\n  A: b\n';

function withHome(fn: (home: string, env: NodeJS.ProcessEnv) => void): void {
  const home = mkdtempSync(join(tmpdir(), "tslima-limactl-"));
  try {
    for (const n of ["vmA", "Dev_Box"]) {
      mkdirSync(join(home, n));
      writeFileSync(join(home, n, "lima.yaml"), LIMA_YAML);
    }
    mkdirSync(join(home, "broken")); // no lima.yaml: Lima lists it as Broken
    mkdirSync(join(home, "_config"));
    writeFileSync(join(home, "stray-file"), "");
    fn(home, { TSLIMA_HOME: home });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test("`limactl list --json` reads as Lima's records: every instance dir, Broken ones too, Lima's names and types", () =>
  withHome((home, env) => {
    const r = run(limactl, ["list", "--json"], env);
    assert.equal(r.status, 0, r.stderr);
    const recs = r.stdout.trimEnd().split("\n").map(parseLimaInstance);
    assert.deepEqual(recs.map((x) => x.name), ["Dev_Box", "broken", "vmA"]);
    const [dev, broken, vm] = recs as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    assert.equal(vm.status, "Stopped");
    assert.equal(vm.dir, join(home, "vmA"));
    assert.equal(vm.vmType, "qemu");
    assert.equal(vm.arch, "x86_64");
    assert.equal(vm.cpus, 1);
    assert.equal(vm.memory, 1024 ** 3);
    assert.equal(vm.disk, 3 * 1024 ** 3);
    assert.equal(vm.hostname, "lima-vmA");
    assert.equal(dev.hostname, "lima-Dev-Box");
    assert.equal(vm.sshAddress, "127.0.0.1");
    assert.deepEqual(vm.param, { A: "b" });
    assert.equal(vm.protected, false);
    assert.equal(vm.LimaHome, home);
    assert.equal(vm.errors, undefined, "no errors: omitted, as Lima's omitempty");
    assert.equal(broken.status, "Broken");
    assert.match((broken.errors as string[])[0] ?? "", /lima\.yaml/);
    assert.equal(broken.config, undefined);
    assert.deepEqual(logLines(r.stderr).map((l) => [l.level, l.msg, l.fields.errors]), [["warning", "instance `broken` has errors", "[lima.yaml: the file does not exist]"]]);
    // the same records as YAML documents
    const y = run(tslima, ["list", "--format", "yaml"], env);
    assert.equal(y.status, 0, y.stderr);
    const docs = y.stdout.split(/^---\n/m).filter((d) => d.trim() !== "").map((d) => parseYaml(d) as unknown);
    assert.deepEqual(docs, recs);
  }));

test("`limactl info` reads as Lima's LimaInfo", () =>
  withHome((home, env) => {
    const r = run(limactl, ["info"], env);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const [key, kind] of Object.entries(INFO)) assert.ok(KIND[kind](info[key]), `info.${key} is ${JSON.stringify(info[key])}, not ${kind}`);
    assert.equal(info.limaHome, home);
    assert.deepEqual(info.vmTypes, ["qemu"]);
    const templates = info.templates as Array<{ name: string; location: string }>;
    assert.ok(templates.some((t) => t.name === "default" && t.location.endsWith("default.yaml")), JSON.stringify(templates.slice(0, 3)));
  }));

test("list: names given, unknown ones warned about (exit 1) while the rest is listed; -q; templates with Lima's Go field names", () =>
  withHome((_home, env) => {
    const r = run(limactl, ["list", "vmA", "nosuch", "--format", "{{.Name}}/{{.CPUs}}/{{.Memory}}/{{.VMType}}/{{.SSHAddress}}/{{if eq .Status \"Stopped\"}}off{{end}}"], env);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "vmA/1/1073741824/qemu/127.0.0.1/off\n");
    assert.deepEqual(logSummary(r.stderr), ["warning: No instance matching nosuch found.", "fatal: unmatched instances"]);
    const q = run(limactl, ["ls", "-q"], env);
    assert.equal(q.stdout, "Dev_Box\nbroken\nvmA\n");
    const j = run(tslima, ["list", "Dev_Box", "--format", "{{json .Param}} {{json .}}"], env);
    assert.equal(j.status, 0, j.stderr);
    const [param, whole] = [j.stdout.slice(0, j.stdout.indexOf(" ")), j.stdout.slice(j.stdout.indexOf(" ") + 1)];
    assert.deepEqual(JSON.parse(param), { A: "b" });
    assert.equal(parseLimaInstance(whole).name, "Dev_Box");
    const fields = run(limactl, ["list", "--list-fields"], env);
    assert.deepEqual(fields.stdout.trimEnd().split("\n"), LIST_FIELDS);
    for (const f of ["Name", "Status", "CPUs", "SSHLocalPort", "Config", "Protected"]) assert.ok(LIST_FIELDS.includes(f), f);
  }));

test("list's table has Lima's columns and units; a pipe gets every column", () =>
  withHome((_home, env) => {
    const r = run(limactl, ["list"], env);
    assert.equal(r.status, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    assert.deepEqual(header?.split(/\s+/), ["NAME", "STATUS", "SSH", "VMTYPE", "ARCH", "CPUS", "MEMORY", "DISK", "DIR"]);
    const vm = rows.find((l) => l.startsWith("vmA "))?.split(/\s+/);
    assert.deepEqual(vm?.slice(0, 8), ["vmA", "Stopped", "127.0.0.1:0", "qemu", "x86_64", "1", "1GiB", "3GiB"]);
  }));

test("list refuses conflicting flags, unsupported templates and bad yq expressions, naming the flag; an unknown flag says 'unknown flag'", () =>
  withHome((_home, env) => {
    const cases: Array<[string[], RegExp]> = [
      [["list", "--json", "--format", "yaml"], /--json conflicts with option --format/],
      [["list", "-q", "--format", "json"], /--quiet can only be used with '--format table'/],
      [["list", "--format", "{{range .}}x{{end}}"], /--format "\{\{range \.\}\}x\{\{end\}\}": unsupported action range/],
      [["list", "--filter", ".status =="], /^error: --filter '\.status ==': the expression ends too early\n[\s\S]*ERR_TSLIMA_INVALID_FLAG/],
      [["list", "--yq", ".name", "--yq", "frob"], /^error: --yq '\.name \| frob': invalid input text "frob": unknown function frob/],
      [["list", "--yq", ".name", "--format", "table"], /option --yq only works with --format json or yaml/],
      [["list", "--yq", ".name", "--format", "{{.Name}}"], /option --yq only works with --format json or yaml/],
      [["list", "--yq", "env(HOME)"], /env operations have been disabled/],
      [["list", "--filter", ".status = 1"], /^error: --filter '\.status = 1': = assigns and keeps every instance; compare with ==/],
      [["list", "--list-fields", "--filter", ".name"], /option --list-fields conflicts with option --filter/],
      [["list", "--yq", '.name | test("(")'], /--yq '\.name \| test\("\("\)': test\("\("\): Invalid regular expression/],
      [["list", "--no-such"], /^error: unknown flag: --no-such/m],
      [["--tty=maybe", "list"], /invalid argument "maybe" for "--tty" flag/],
    ];
    for (const [args, re] of cases) {
      // tslima's words, which name the flag; limactl's are Lima's (the test below)
      const r = run(tslima, args, env);
      assert.equal(r.status, 1, args.join(" "));
      assert.match(r.stderr, re, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
    }
  }));

test("list --yq transforms each instance's record (implies JSON; repeatable, piped); --filter keeps the instances it holds for, in any format", () =>
  withHome((home, env) => {
    writeFileSync(join(home, "Dev_Box", "lima.yaml"), LIMA_YAML.replace("cpus: 1", "cpus: 2"));
    const ok = (args: string[]) => {
      const r = run(limactl, args, env);
      assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(ok(["ls", "--yq", ".name"]), "Dev_Box\nbroken\nvmA\n");
    assert.equal(ok(["ls", "vmA", "--yq", ".dir"]), `${join(home, "vmA")}\n`, "a string is printed bare, as Lima's scripts read it");
    assert.equal(ok(["ls", "vmA", "--yq", ".config", "--yq", ".images[0]"]), '{"location":"/nonexistent.qcow2","arch":"x86_64"}\n');
    assert.equal(ok(["ls", "--yq", "select(.cpus > 1)", "--yq", ".name"]), "Dev_Box\n");
    assert.equal(ok(["ls", "-q", "--yq", 'select(.name | test("^v"))']), "vmA\n", "-q prints the names the expressions leave");
    const y = ok(["ls", "vmA", "--yq", ".param", "--format", "yaml"]);
    assert.equal(y, "---\nA: b\n");
    // --filter: the instances for which every expression holds, printed in the chosen format
    const table = ok(["ls", "--filter", '.status == "Stopped"']).trimEnd().split("\n");
    assert.deepEqual(table.map((l) => l.split(/\s+/)[0]), ["NAME", "Dev_Box", "vmA"]);
    assert.equal(ok(["ls", "-q", "--filter", '.status == "Stopped"', "--filter", '.cpus == "2"']), "Dev_Box\n");
    assert.equal(ok(["ls", "--filter", ".disk == 3221225472", "--filter", '.name != "Dev_Box"', "--format", "{{.Name}}"]), "vmA\n");
    assert.deepEqual(ok(["ls", "--filter", '.status == "Broken"', "--json"]).trimEnd().split("\n").map((l) => parseLimaInstance(l).name), ["broken"]);
    assert.equal(ok(["ls", "--filter", '.name == "foo"', "--yq", ".name"]), "");
    assert.equal(ok(["ls", "-q", "--filter", '.name == "kcp"']), "");
  }));

test("template yq evaluates on the filled template (bases merged, defaults in); template url as Lima's", () =>
  withHome((home, env) => {
    const file = join(home, "vmA", "lima.yaml");
    const q = (expr: string) => run(limactl, ["template", "yq", file, expr], env);
    assert.equal(q(".cpus").stdout, "1\n");
    assert.equal(q(".images[].location").stdout, "/nonexistent.qcow2\n");
    assert.deepEqual(parseYaml(q(".param").stdout), { A: "b" });
    assert.equal(q(".vmType, .ssh.loadDotSSHPubKeys").stdout, "qemu\nfalse\n", "defaults are filled in");
    const bad = q(".cpus =");
    assert.equal(bad.status, 1);
    assert.deepEqual(logSummary(bad.stderr), ["fatal: template yq expression '.cpus =': the expression ends too early"]);
    const missing = run(limactl, ["template", "yq", join(home, "nosuch.yaml"), "."], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nosuch\.yaml/);
    const url = run(limactl, ["template", "url", "template://docker"], env);
    assert.equal(url.stdout, "template:docker\n");
    assert.match(url.stderr, /should be written template:docker/);
    assert.equal(run(limactl, ["template", "url", "https://example.com/a.yaml"], env).stdout, "https://example.com/a.yaml\n");
  }));

test("protect makes delete refuse an instance until unprotect; the list shows it", () =>
  withHome((home, env) => {
    assert.equal(run(limactl, ["protect", "vmA"], env).status, 0);
    const refused = run(limactl, ["remove", "vmA"], env);
    assert.equal(refused.status, 1);
    assert.deepEqual(logSummary(refused.stderr), ["fatal: failed to delete instance `vmA`: instance is protected to prohibit accidental removal (Hint: use `limactl unprotect`)"]);
    assert.match(run(tslima, ["delete", "vmA"], env).stderr, /^error: instance vmA is protected; refusing to delete it\nhint: run `tslima unprotect vmA` first\ncode: ERR_TSLIMA_INSTANCE_PROTECTED\n$/);
    assert.equal(run(tslima, ["list", "vmA", "--format", "{{.Protected}}"], env).stdout, "true\n");
    assert.equal(run(limactl, ["unprotect", "vmA"], env).status, 0);
    const r = run(tslima, ["rm", "vmA"], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(run(tslima, ["list", "-q"], env).stdout, "Dev_Box\nbroken\n");
    assert.equal(run(tslima, ["delete", "nosuch"], env).stderr.split("\n")[0], 'error: instance "nosuch" does not exist');
    void home;
  }));

test("global flags are taken anywhere before the command's arguments end; shell's guest command keeps its own", () => {
  assert.deepEqual(extractGlobals(["--debug", "list", "--tty=false", "-q"]), { globals: { debug: true, tty: false }, rest: ["list", "-q"] });
  assert.deepEqual(extractGlobals(["start", "vm", "-y", "--log-level", "info"]), { globals: { debug: false, tty: false, yes: true, logLevel: "info" }, rest: ["start", "vm"] });
  // Lima: --tty and --yes together are an error; --yes alone is deprecated for clone, edit and rename (main warns)
  assert.throws(() => extractGlobals(["clone", "--yes", "--tty=false", "a", "b"]), /cannot use both --tty and --yes flags at the same time/);
  assert.deepEqual(extractGlobals(["--log-level=debug", "list"]).globals, { debug: true, logLevel: "debug" });
  assert.deepEqual(extractGlobals(["shell", "--debug", "vm", "ls", "--debug", "-y"]), { globals: { debug: true }, rest: ["shell", "vm", "ls", "--debug", "-y"] });
  // shell's valued flags: their value is no argument, so globals after them are still taken
  assert.deepEqual(extractGlobals(["shell", "--workdir", "/w", "--instance", "vm", "--tty=false", "ls", "-y"]), {
    globals: { debug: false, tty: false },
    rest: ["shell", "--workdir", "/w", "--instance", "vm", "ls", "-y"],
  });
  assert.deepEqual(extractGlobals(["shell", "--shell=/bin/sh", "vm", "--debug"]).rest, ["shell", "--shell=/bin/sh", "vm", "--debug"]);
  assert.deepEqual(extractGlobals(["copy", "--", "--debug"]).rest, ["copy", "--", "--debug"]);
  assert.throws(() => extractGlobals(["--log-level", "loud"]), /--log-level/);
});

test("lima ARGS is `shell --instance $LIMA_INSTANCE ARGS` with LIMA_WORKDIR and LIMA_SHELL, as Lima's lima script", () => {
  assert.deepEqual(limaArgv(["uname", "-a"], {}), { argv: ["shell", "--instance", "default", "uname", "-a"] });
  assert.deepEqual(limaArgv([], { LIMA_INSTANCE: "dev" }), { argv: ["shell", "--instance", "dev"] });
  assert.deepEqual(limaArgv(["ls"], { LIMA_INSTANCE: "dev", LIMA_WORKDIR: "/tmp" }), { argv: ["shell", "--workdir", "/tmp", "--instance", "dev", "ls"] });
  assert.deepEqual(limaArgv(["echo", "a b"], { LIMA_SHELL: "/bin/bash" }), { argv: ["shell", "--shell", "/bin/bash", "--instance", "default", "echo", "a b"] });
  assert.deepEqual(limaArgv(["--", "--x"], { LIMA_SHELL: "/bin/zsh", LIMA_WORKDIR: "/w" }), { argv: ["shell", "--workdir", "/w", "--shell", "/bin/zsh", "--instance", "default", "--", "--x"] });
  assert.deepEqual(limaArgv(["-v"], {}), { argv: ["-v"] });
  const help = limaArgv(["--help"], { LIMA_INSTANCE: "x" });
  assert.ok("help" in help && help.help.includes('alias for "limactl shell x"'));
});

test("completion bash completes commands, each command's flags and instance names", () =>
  withHome((home, env) => {
    const bin = join(home, "_bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "limactl"), `#!/bin/sh\nexec '${process.execPath}' '${limactl}' "$@"\n`);
    chmodSync(join(bin, "limactl"), 0o755);
    const script = run(limactl, ["completion", "bash"], env);
    assert.equal(script.status, 0, script.stderr);
    writeFileSync(join(home, "_c.bash"), script.stdout);
    const complete = (words: string[]) => {
      const r = spawnSync("bash", ["-c", `source '${join(home, "_c.bash")}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _limactl_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], {
        encoding: "utf8",
        env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH ?? ""}` },
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trimEnd().split("\n").sort();
    };
    assert.deepEqual(complete(["limactl", "unpr"]), ["unprotect"]);
    assert.deepEqual(complete(["limactl", "list", "--all"]), ["--all-fields"]);
    assert.deepEqual(complete(["limactl", "--debug", "stop", "v"]), ["vmA"]);
    assert.deepEqual(complete(["limactl", "--de"]), ["--debug"]);
    for (const shell of ["zsh", "fish"]) {
      const s = run(limactl, ["completion", shell], env);
      assert.equal(s.status, 0, s.stderr);
      assert.match(s.stdout, shell === "fish" ? /complete -c limactl .*-a unprotect/ : /^#compdef limactl/);
    }
    assert.match(run(limactl, ["completion", "tcsh"], env).stderr, /value 'tcsh' is invalid for argument 'shell'/);
  }));

test("bytes as Lima's table prints them", () => {
  assert.equal(bytesSize(0), "0B");
  assert.equal(bytesSize(4 * 1024 ** 3), "4GiB");
  assert.equal(bytesSize(1536 * 1024 ** 2), "1.5GiB");
  assert.equal(bytesSize(100 * 1024 ** 3), "100GiB");
  assert.equal(bytesSize(2000 * 1024 ** 2), "1.953GiB");
  assert.equal(bytesSize(512), "512B");
});

test("create - reads the template from stdin (with --name), applies Lima's flags; --list-templates and --list-drivers list", () =>
  withHome((home, env) => {
    const r = spawnSync(process.execPath, [limactl, "create", "--name", "fromStdin", "--port-forward", "8080:80", "--set", '.mounts += [{"location": "/opt/x"}]', "-"], {
      encoding: "utf8",
      env: { ...process.env, ...env },
      input: LIMA_YAML,
    });
    assert.equal(r.status, 0, r.stderr);
    const y = parseYaml(readFileSync(join(home, "fromStdin", "lima.yaml"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(y.portForwards, [{ guestPort: 80, hostPort: 8080 }]);
    assert.deepEqual(y.mounts, [{ location: "/opt/x" }]);
    const noName = spawnSync(process.execPath, [limactl, "create", "-"], { encoding: "utf8", env: { ...process.env, ...env }, input: LIMA_YAML });
    assert.equal(noName.status, 1);
    assert.match(noName.stderr, /must pass instance name with --name/);
    const t = run(limactl, ["create", "--list-templates"], env);
    assert.equal(t.status, 0, t.stderr);
    assert.ok(t.stdout.split("\n").includes("default"), t.stdout);
    const d = run(limactl, ["start", "--list-drivers"], env);
    assert.deepEqual([d.status, d.stdout], [0, "qemu\n"], d.stderr);
  }));
