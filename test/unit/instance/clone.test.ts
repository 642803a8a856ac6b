// clone / rename / factory-reset / edit on instance directories without a VM: what is copied,
// dropped and re-pointed (qemu-img makes a real overlay so the backing file is checked).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { cloneInstance, editInEditor, editInstance, factoryReset, renameInstance, setProtected } from "../../../src/internal.js";
import { cloneAction, movedRecord } from "../../../src/instance/clone.js";

const LIMA_YAML = 'images:\n- location: "/nonexistent.qcow2"\n  arch: "x86_64"\ncpus: 1\nmemory: 1GiB\n';

function qemuImg(args: string[]): string {
  const r = spawnSync("qemu-img", args, { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function backingOf(file: string): string {
  return (JSON.parse(qemuImg(["info", "--output=json", file])) as { "backing-filename": string })["backing-filename"];
}

/** A stopped instance that has booted once: disks, image record, host key, cidata, logs. */
function withBootedInstance(fn: (home: string, dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const home = mkdtempSync(join(tmpdir(), "tslima-clone-"));
    const dir = join(home, "src");
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "lima.yaml"), LIMA_YAML);
      qemuImg(["create", "-f", "qcow2", join(dir, "basedisk"), "16M"]);
      qemuImg(["create", "-f", "qcow2", "-F", "qcow2", "-b", join(dir, "basedisk"), join(dir, "diffdisk"), "32M"]);
      writeFileSync(join(dir, "image.json"), JSON.stringify({ disk: join(dir, "basedisk"), diskFormat: "qcow2", kernel: join(dir, "kernel"), arch: "x86_64" }));
      for (const f of ["kernel", "ssh_host_ed25519_key", "ssh_host_ed25519_key.pub", "known_hosts", "ssh.config", "cidata.iso", "cidata.ready", "ha.stderr.log", "serial.log", "shell.json"]) {
        writeFileSync(join(dir, f), f);
      }
      await fn(home, dir);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };
}

test("clone copies disks and config, re-points the overlay and image record, drops identity and per-boot files", withBootedInstance(async (home, dir) => {
  setProtected("src", true, { home });
  const to = await cloneInstance("src", "Copy_1", { home });
  assert.deepEqual(readdirSync(to.dir).sort(), ["basedisk", "diffdisk", "image.json", "kernel", "lima.yaml"]);
  assert.equal(backingOf(to.diffdisk), to.basedisk);
  assert.equal(backingOf(join(dir, "diffdisk")), join(dir, "basedisk"), "the source is untouched");
  assert.deepEqual(JSON.parse(readFileSync(join(to.dir, "image.json"), "utf8")), { disk: to.basedisk, diskFormat: "qcow2", kernel: join(to.dir, "kernel"), arch: "x86_64" });
  assert.ok(existsSync(join(dir, "protected")), "the source stays protected");
  await assert.rejects(cloneInstance("src", "Copy_1", { home }), /already exists/);
  await assert.rejects(cloneInstance("src", "bad name", { home }), /invalid instance name/);
  await assert.rejects(cloneInstance("nosuch", "x", { home }), /"nosuch" does not exist/);
}));

test("rename moves the instance (refused while protected); factory-reset keeps lima.yaml and the protection only", withBootedInstance(async (home) => {
  setProtected("src", true, { home });
  await assert.rejects(renameInstance("src", "moved", { home }), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_INSTANCE_PROTECTED");
  setProtected("src", false, { home });
  const to = await renameInstance("src", "moved", { home });
  assert.equal(existsSync(join(home, "src")), false);
  assert.equal(backingOf(to.diffdisk), to.basedisk);
  assert.deepEqual(readdirSync(to.dir).sort(), ["basedisk", "diffdisk", "image.json", "kernel", "lima.yaml"]);
  setProtected("moved", true, { home });
  await assert.rejects(factoryReset("moved", { home }), /protected; refusing to factory-reset/);
  setProtected("moved", false, { home });
  writeFileSync(join(to.dir, "ssh.config"), "x");
  await factoryReset("moved", { home });
  assert.deepEqual(readdirSync(to.dir), ["lima.yaml"]);
}));

test("edit applies create's flags with create's validation, leaving lima.yaml unchanged on bad input", withBootedInstance((home, dir) => {
  editInstance("src", { home, cpus: 2, memory: 2, sets: ['.env.FOO = "bar"'] });
  const y = parse(readFileSync(join(dir, "lima.yaml"), "utf8")) as Record<string, unknown>;
  assert.equal(y.cpus, 2);
  assert.equal(y.memory, "2GiB");
  assert.deepEqual(y.env, { FOO: "bar" });
  const before = readFileSync(join(dir, "lima.yaml"), "utf8");
  assert.throws(() => editInstance("src", { home, sets: [".cpus = -3"] }), /cpus/);
  assert.throws(() => editInstance("src", { home, vmType: "vz" }), /options\.vmType: "vz" is not supported/);
  assert.throws(() => editInstance("src", { home, text: "images: 3\n" }), /images/);
  assert.equal(readFileSync(join(dir, "lima.yaml"), "utf8"), before);
  editInstance("src", { home, text: `${before}disk: 9GiB\n` });
  assert.equal((parse(readFileSync(join(dir, "lima.yaml"), "utf8")) as { disk: string }).disk, "9GiB");
  // without flags: $EDITOR edits a copy, which is validated before it replaces lima.yaml
  assert.ok(Array.isArray(editInEditor("src", { home, env: { EDITOR: "sed -i s/cpus:.2/cpus:\\ 3/" } })), "saved: the warnings come back");
  assert.equal((parse(readFileSync(join(dir, "lima.yaml"), "utf8")) as { cpus: number }).cpus, 3);
  assert.equal(editInEditor("src", { home, env: { EDITOR: "true" } }), undefined, "nothing saved: unchanged");
  assert.throws(() => editInEditor("src", { home, env: { EDITOR: "sed -i s/cpus:.3/cpus:\\ many/" } }), /cpus/);
  assert.equal((parse(readFileSync(join(dir, "lima.yaml"), "utf8")) as { cpus: number }).cpus, 3);
  assert.throws(() => editInEditor("src", { home, env: { EDITOR: "false" } }), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_EDITOR_FAILED");
}));

test("clone's file rules and record re-pointing (pure)", () => {
  for (const f of ["lima.yaml", "basedisk", "diffdisk", "efi-vars.fd", "image.json"]) assert.equal(cloneAction(f), "copy", f);
  for (const f of ["protected", "ha.pid", "qmp.sock", "ssh_host_ed25519_key", "known_hosts", "cidata.iso", "vmstate", "ha.stdout.log"]) assert.equal(cloneAction(f), "skip", f);
  assert.deepEqual(movedRecord({ a: "/h/x/basedisk", b: ["/h/xy/k", "/h/x"], c: 1 }, "/h/x", "/h/z"), { a: "/h/z/basedisk", b: ["/h/xy/k", "/h/z"], c: 1 });
});
