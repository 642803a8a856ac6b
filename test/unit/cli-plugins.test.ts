/**
 * Lima's CLI plugins (limactl-NAME on PATH) through the CLI, with shell-script plugins in a
 * temporary directory put first on PATH. No VM.
 */
import { logSummary } from "../support/logrus.js";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";

const root = mkdtempSync(join(tmpdir(), "tslima-plugins-"));
const bin = join(root, "bin");
const home = join(root, "home");
mkdirSync(bin);
mkdirSync(home, { mode: 0o700 });
after(() => rmSync(root, { recursive: true, force: true }));

function plugin(name: string, body: string): void {
  writeFileSync(join(bin, `limactl-${name}`), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, `limactl-${name}`), 0o755);
}
plugin("hello", `# <limactl-desc>Greets, and exits 7</limactl-desc>\nfor a; do printf '%s|' "$a"; done; echo "LIMA_HOME=$LIMA_HOME"; echo to-stderr >&2; exit 7`);
plugin("plain", "exit 0");
plugin("url-x", "echo never");
// a plugin may not replace a built-in command
plugin("list", "echo plugin-list; exit 9");
writeFileSync(join(bin, "limactl-notexec"), "#!/bin/sh\necho no\n");

function limactl(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.TSLIMA_DEBUG;
  delete base.LIMA_HOME;
  const r = spawnSync(process.execPath, [join(repoRoot, "bin", "limactl.js"), ...args], {
    encoding: "utf8",
    env: { ...base, PATH: `${bin}:${process.env.PATH ?? ""}`, TSLIMA_HOME: home, ...env },
  });
  assert.equal(r.error, undefined);
  return r;
}

test("`limactl NAME ARGS...` runs limactl-NAME with the words after NAME, its output and exit status passed through, LIMA_HOME set to the home", () => {
  const r = limactl(["--debug", "--log-level", "info", "hello", "a b", "--help", "-y", "--"]);
  assert.equal(r.status, 7, r.stderr);
  assert.equal(r.stdout, `a b|--help|-y|--|LIMA_HOME=${home}\n`);
  assert.equal(r.stderr, "to-stderr\n");
  const viaLima = limactl(["hello"], { TSLIMA_HOME: "", LIMA_HOME: join(root, "lima") });
  assert.equal(viaLima.stdout, `LIMA_HOME=${join(root, "lima")}\n`);
});

test("a built-in command wins over a plugin of its name; a file that is not executable is no plugin", () => {
  const r = limactl(["list", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /plugin-list/);
  const n = limactl(["notexec"]);
  assert.equal(n.status, 1);
  assert.deepEqual(logSummary(n.stderr), ['fatal: unknown command "notexec" for "limactl"']);
});

test("a bad global flag before the plugin's name fails as for any command", () => {
  const r = limactl(["--log-level", "loud", "hello"]);
  assert.equal(r.status, 1);
  assert.match(logSummary(r.stderr)[0] ?? "", /^fatal: invalid argument "loud" for "--log-level"/);
});

test("--help lists the plugins with their descriptions, not the URL handlers; info lists them all", () => {
  const r = limactl(["--help"]);
  assert.equal(r.status, 0, r.stderr);
  const section = r.stdout.slice(r.stdout.indexOf("Available Plugins (Experimental):"));
  assert.match(section, /^Available Plugins \(Experimental\):\n {2}hello {2}Greets, and exits 7\n {2}plain\n/);
  assert.doesNotMatch(section, /url-x|notexec|\blist\b/);
  const info = limactl(["info"]);
  assert.equal(info.status, 0, info.stderr);
  const plugins = (JSON.parse(info.stdout) as { plugins: Array<{ name: string; path: string; description?: string }> }).plugins;
  const mine = plugins.filter((p) => p.path.startsWith(bin));
  assert.deepEqual(mine.map((p) => p.name), ["hello", "list", "plain", "url-x"]);
  assert.equal(mine[0]?.description, "Greets, and exits 7");
  assert.equal(mine[1]?.description, undefined);
});

test("limactl-url-SCHEME: `template url` prints what the plugins resolve a locator to; `create` names the instance after it, as Lima", () => {
  mkdirSync(join(root, "t"));
  writeFileSync(join(root, "t", "web-app.yaml"), "images:\n- location: https://example.invalid/x.qcow2\n  arch: x86_64\n");
  plugin("url-dev", `echo "${root}/t/$1.yaml"`);
  plugin("url-short", 'echo "dev:$1"');
  const u = limactl(["template", "url", "short:web-app"]);
  assert.equal(u.status, 0, u.stderr);
  assert.equal(u.stdout, `${join(root, "t", "web-app.yaml")}\n`);
  const c = limactl(["create", "--tty=false", "short:web-app"]);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout + c.stderr, /created instance web-app/i);
  const f = limactl(["template", "url", "nothing:x"]);
  assert.equal(f.stdout, "nothing:x\n", "no plugin: printed as it is");
});
