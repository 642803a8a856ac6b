import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { ConfigError, resolveTemplate } from "../../../src/config/index.js";
import { serveFiles, tempTree } from "./support.js";

/**
 * Templates served by a local HTTP server on 127.0.0.1: each names a host file the way an attacker
 * would (absolute path, file:// URL) in base:, provision[].file, probes[].file or images[]; and one
 * template uses relative names, which resolve against its URL and work.
 */
const FILES: Record<string, string> = {
  "/evil/base-path.yaml": "cpus: 1\nbase: /etc/passwd\n",
  "/evil/base-fileurl.yaml": "cpus: 1\nbase:\n- url: file:///etc/passwd\n",
  "/evil/provision.yaml": "cpus: 1\nprovision:\n- mode: system\n  file: /etc/passwd\n",
  "/evil/probe.yaml": "probes:\n- file: file:///etc/passwd\n",
  "/evil/data.yaml": "provision:\n- mode: data\n  path: /tmp/x\n  file:\n    url: /etc/passwd\n",
  "/evil/scheme.yaml": "base: ftp://example.invalid/x.yaml\n",
  "/evil/image.yaml": "images:\n- location: https://example.invalid/ok.qcow2\n- location: /dev/sda\n  kernel:\n    location: ~/.ssh/id_ed25519\n",
  "/evil/files.yaml": [
    "firmware:\n  images:\n  - location: /home/u/.ssh/id_ed25519\n    arch: x86_64",
    "containerd:\n  system: true\n  archives:\n  - location: file:///etc/shadow\n    arch: x86_64",
    "caCerts:\n  files:\n  - ~/.ssh/id_ed25519",
    "copyToHost:\n- guest: /etc/hostname\n  host: ~/.bashrc\n- guest: /etc/hostname\n  host: \"{{.Dir}}/../../.profile\"",
  ].join("\n") + "\n",
  "/good/files.yaml": "images:\n- location: build:debian-12\ncontainerd:\n  system: true\n  archives:\n  - location: https://example.invalid/nerdctl-full.tgz\n    arch: x86_64\ncopyToHost:\n- guest: /etc/hostname\n  host: \"{{.Dir}}/copied-from-guest/hostname\"\n",
  // a relative base that fetches an evil document: refused in that document, at its own position
  "/evil/nested.yaml": "base: base-path.yaml\n",
  "/good/main.yaml": "base: parts/base.yaml\nprovision:\n- mode: system\n  file: scripts/hello.sh\nimages:\n- location: build:debian-12\n",
  "/good/parts/base.yaml": "memory: 3GiB\nprobes:\n- file: ../scripts/probe.sh\n",
  "/good/scripts/hello.sh": "#!/bin/sh\necho hello from the url\n",
  "/good/scripts/probe.sh": "#!/bin/sh\ntrue # probe\n",
};

async function refusal(locator: string, home: string): Promise<ConfigError> {
  try {
    await resolveTemplate(locator, { tslimaHome: home });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`${locator} was accepted`);
}

test("a template fetched by URL cannot name host files in base:, provision/probes file: or images[]: positioned errors", async (ctx) => {
  const url = await serveFiles(ctx, FILES);
  const t = tempTree({});
  ctx.after(() => t.cleanup());
  const cases: Array<[string, string, string, RegExp]> = [
    ["/evil/base-path.yaml", "2:7", "base", /"\/etc\/passwd" names a file on this host/],
    ["/evil/base-fileurl.yaml", "3:8", "base[0].url", /"file:\/\/\/etc\/passwd" names a file on this host/],
    ["/evil/provision.yaml", "4:9", "provision[0].file", /"\/etc\/passwd" names a file on this host/],
    ["/evil/probe.yaml", "2:9", "probes[0].file", /"file:\/\/\/etc\/passwd"/],
    ["/evil/data.yaml", "5:5", "provision[0].file", /"\/etc\/passwd"/],
    ["/evil/scheme.yaml", "1:7", "base", /"ftp:\/\/example.invalid\/x.yaml" names a file on this host/],
  ];
  for (const [path, pos, field, message] of cases) {
    const e = await refusal(`${url}${path}`, t.dir);
    const line = e.message.split("\n")[0] ?? "";
    assert.ok(line.startsWith(`${url}${path}:${pos}: ${field}: `), `${path}: ${line}`);
    assert.match(line, message);
    assert.match(line, /may only refer to http\(s\) URLs, paths relative to its own URL, or template:NAME/);
    assert.match(e.hint ?? "", /download the template/);
    assert.doesNotMatch(e.message, /root:x:0:0/, "nothing of /etc/passwd was read into the error");
  }
  // nested: the local-looking relative base is a URL too, and the document it fetched is refused at its own position
  const nested = await refusal(`${url}/evil/nested.yaml`, t.dir);
  assert.match(nested.message, new RegExp(`^${url}/evil/base-path.yaml:2:7: base: "/etc/passwd" names a file on this host`));
  // images: each host file is an issue, in one error
  const img = await refusal(`${url}/evil/image.yaml`, t.dir);
  assert.deepEqual(
    img.issues.map((i) => `${i.line}:${i.col}: ${i.field}`),
    ["3:13", "5:15"].map((p, i) => `${p}: ${["images[1].location", "images[1].kernel.location"][i]}`),
  );
  assert.match(img.issues[0]?.message ?? "", /"\/dev\/sda" is not an http\(s\) URL or build:NAME/);
  // the other fields naming files read into the guest or written on the host
  const files = await refusal(`${url}/evil/files.yaml`, t.dir);
  assert.deepEqual(
    files.issues.map((i) => `${i.line}:${i.col}: ${i.field}`),
    ["3:15: firmware.images[0].location", "8:15: containerd.archives[0].location", "12:5: caCerts.files[0]", "15:9: copyToHost[0].host", "17:9: copyToHost[1].host"],
  );
  assert.match(files.issues[0]?.message ?? "", /"\/home\/u\/.ssh\/id_ed25519" is not an http\(s\) URL, but .* was fetched from a URL: a firmware file/);
  assert.match(files.issues[2]?.message ?? "", /cannot put host files into the guest/);
  assert.match(files.issues[4]?.message ?? "", /"\{\{.Dir\}\}\/..\/..\/.profile" is not a path under \{\{.Dir\}\}\/.*only copy guest files into the instance's directory/);
  assert.match(files.hint ?? "", /download the template/);
  // an http(s) archive and a copy into the instance's directory are fine
  await resolveTemplate(`${url}/good/files.yaml`, { tslimaHome: t.dir });
});

test("a template fetched by URL: relative base and script files resolve against its URL and are embedded", async (ctx) => {
  const url = await serveFiles(ctx, FILES);
  const t = tempTree({});
  ctx.after(() => t.cleanup());
  const { text } = await resolveTemplate(`${url}/good/main.yaml`, { tslimaHome: t.dir });
  const doc = parse(text) as { memory: string; provision: Array<{ script: string }>; probes: Array<{ script: string }> };
  assert.equal(doc.memory, "3GiB");
  assert.equal(doc.provision[0]?.script, "#!/bin/sh\necho hello from the url\n");
  assert.equal(doc.probes[0]?.script, "#!/bin/sh\ntrue # probe\n");
});

test("a local template may still name local files, and TSLIMA_HOME/_config/base.yaml still applies under a URL template", async (ctx) => {
  const url = await serveFiles(ctx, FILES);
  const t = tempTree({ "home/_config/base.yaml": "disk: 9GiB\n", "local.yaml": "provision:\n- mode: system\n  file: script.sh\n", "script.sh": "echo local\n" });
  ctx.after(() => t.cleanup());
  const local = parse((await resolveTemplate(t.path("local.yaml"), { tslimaHome: t.path("home") })).text) as { provision: Array<{ script: string }> };
  assert.equal(local.provision[0]?.script, "echo local\n");
  const remote = parse((await resolveTemplate(`${url}/good/main.yaml`, { tslimaHome: t.path("home") })).text) as { disk: string };
  assert.equal(remote.disk, "9GiB");
});
