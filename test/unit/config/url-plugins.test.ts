/**
 * limactl-url-SCHEME plugins (shell scripts in a temporary directory put first on PATH) resolving
 * template locators, and what they lead to read as a remote template.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ConfigError, resolveTemplate } from "../../../src/config/index.js";
import { customScheme, resolveCustomLocator } from "../../../src/config/url-plugins.js";
import { isTslimaError } from "../../../src/errors.js";
import { serveFiles, tempTree } from "./support.js";

const IMG = "images:\n- location: https://example.invalid/x.qcow2\n  arch: x86_64\n";

/** A tree of templates and a bin directory of plugins, put first on PATH for the test. */
function setup(ctx: { after(fn: () => void): void }, plugins: Record<string, string>) {
  const t = tempTree({
    "t/good.yaml": IMG,
    "t/bad-image.yaml": "images:\n- location: /dev/sda\n  arch: x86_64\n",
    "t/bad-base.yaml": "base: good.yaml\n",
    "t/bad-script.yaml": `${IMG}provision:\n- mode: system\n  file: /etc/passwd\n`,
    "t/template-base.yaml": "base: template:debian-12\n",
  });
  const bin = join(t.dir, "bin");
  mkdirSync(bin);
  for (const [name, body] of Object.entries(plugins)) {
    writeFileSync(join(bin, `limactl-${name}`), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, `limactl-${name}`), 0o755);
  }
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path ?? ""}`;
  ctx.after(() => {
    process.env.PATH = path;
    t.cleanup();
  });
  return t;
}

test("customScheme: schemes tslima reads itself and one-letter ones (a Windows drive) are no custom scheme", () => {
  assert.equal(customScheme("dev:webapp"), "dev");
  assert.equal(customScheme("s3+x:a/b"), "s3+x");
  for (const l of ["template:default", "https://x/y.yaml", "http://x", "file:///x.yaml", "github:lima-vm/lima", "C:\\x.yaml", "./a:b.yaml", "plain.yaml", ""]) {
    assert.equal(customScheme(l), undefined, l);
  }
});

test("a plugin gets the locator after SCHEME: as its one argument; what it prints is resolved again, to the end; a loop and a failure name the plugin", (ctx) => {
  const t = setup(ctx, {
    "url-dev": `echo "${"$"}{LIMA_HOME:-none}" > "${"$"}0.home"; echo "  file://$(dirname "$0")/../t/$1.yaml  "`,
    "url-chain": 'echo "dev:$1"',
    "url-loop": 'echo "loop2:$1"',
    "url-loop2": 'echo "loop:$1"',
    "url-fail": 'echo "no template called $1" >&2; exit 3',
    "url-empty": "true",
    "url-two": "echo a; echo b",
    "url-dash": "echo -",
  });
  const bin = join(t.dir, "bin");
  assert.deepEqual(resolveCustomLocator("chain:good web"), { locator: `file://${bin}/../t/good web.yaml`, via: join(bin, "limactl-url-dev") });
  assert.ok(existsSync(join(bin, "limactl-url-dev.home")), "the plugin ran with LIMA_HOME set");
  assert.deepEqual(resolveCustomLocator("nothing:here"), { locator: "nothing:here" }, "no plugin: the locator as it is");
  const fails = (locator: string, message: RegExp) =>
    assert.throws(
      () => resolveCustomLocator(locator),
      (e: unknown) => isTslimaError(e) && e.kind === "PLUGIN_FAILED" && message.test(e.message) && (e.hint ?? "") !== "",
      locator,
    );
  fails("loop:x", /^the template locator loop:x has a redirect loop: loop:x -> loop2:x -> loop:x$/);
  fails("fail:x", /limactl-url-fail could not resolve the template locator fail:x: .*limactl-url-fail x` exited with code 3:\n {2}no template called x/);
  fails("empty:x", /limactl-url-empty \(.*\) printed nothing/);
  fails("two:x", /printed more than one line/);
  fails("dash:x", /printed "-"/);
});

test("what a plugin names is read as a remote template: its images and references may not be host files; template:NAME and URLs are fine", async (ctx) => {
  const url = await serveFiles(ctx, { "/served.yaml": `${IMG}cpus: 3\n` });
  const t = setup(ctx, { "url-dev": 'echo "$(dirname "$0")/../t/$1.yaml"', "url-web": `echo "${url}/$1.yaml"` });
  const home = join(t.dir, "home");
  const good = await resolveTemplate("dev:good", { tslimaHome: home });
  assert.equal(good.source, t.path("t/good.yaml"));
  assert.match(good.text, /example\.invalid\/x\.qcow2/);
  assert.equal((parse((await resolveTemplate("web:served", { tslimaHome: home })).text) as { cpus: number }).cpus, 3);
  assert.match((await resolveTemplate("dev:template-base", { tslimaHome: home })).text, /debian/);
  const refused = async (locator: string, field: string, message: RegExp) => {
    await assert.rejects(resolveTemplate(locator, { tslimaHome: home }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.issues[0]?.field, field, locator);
      assert.match(e.issues[0]?.message ?? "", message, locator);
      assert.match(e.issues[0]?.message ?? "", /named by a limactl-url plugin/);
      return true;
    });
  };
  await refused("dev:bad-image", "images[0].location", /"\/dev\/sda" is not an http\(s\) URL or build:NAME/);
  await refused("dev:bad-base", "base", /"good\.yaml" names a file on this host/);
  await refused("dev:bad-script", "provision[0].file", /"\/etc\/passwd" names a file on this host/);
  // as a base of a local template, the plugin's document is checked the same way
  writeFileSync(t.path("t/local.yaml"), "base: dev:bad-image\n");
  await assert.rejects(resolveTemplate(t.path("t/local.yaml"), { tslimaHome: home }), /\/dev\/sda" is not an http\(s\) URL or build:NAME/);
  writeFileSync(t.path("t/local2.yaml"), "base: dev:good\ncpus: 2\n");
  assert.match((await resolveTemplate(t.path("t/local2.yaml"), { tslimaHome: home })).text, /example\.invalid/);
});

test("a template from the network cannot run a plugin: its custom locator is refused, the plugin never runs", async (ctx) => {
  const url = await serveFiles(ctx, { "/evil.yaml": "base: dev:good\n" });
  const t = setup(ctx, { "url-dev": 'touch "$0.ran"; echo "$(dirname "$0")/../t/$1.yaml"' });
  await assert.rejects(resolveTemplate(`${url}/evil.yaml`, { tslimaHome: join(t.dir, "home") }), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.issues[0]?.message ?? "", /"dev:good" names a file on this host/);
    return true;
  });
  assert.equal(existsSync(t.path("bin/limactl-url-dev.ran")), false);
});
