/**
 * Images are hostile until checked (issue 24, Lima's CVE-2023-32684): a qcow2 file that names a host
 * file as its backing file or its external data file, made with qemu-img as an attacker would, is
 * refused with ERR_TSLIMA_IMAGE_UNSAFE before QEMU runs: as a template's images[] location (a local
 * path, and an http URL, so through the download cache), as an additional disk, and by `tslima disk
 * import` / `limactl disk import`; a raw disk stays raw whatever its guest wrote into it. Each time nothing runs (no qemu.pid, no QEMU process), no disk is
 * left, and the host file is unchanged. None of these boots a VM.
 */
import { asOwnStyle } from "../support/logrus.js";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { Cli, guestYaml, parseList, type Run } from "./harness.js";
import { repoRoot } from "../helpers.js";
import { diskPaths } from "../../src/disks/plan.js";
import { instancePaths } from "../../src/store/paths.js";

const cli = new Cli("image-trust");
const secret = join(cli.root, "host-secret");
const backing = join(cli.root, "evil-backing.qcow2");
const dataFile = join(cli.root, "evil-data.qcow2");
const plain = join(cli.root, "plain.qcow2");
const vmdk = join(cli.root, "disk.vmdk");
let server: Server | undefined;
let baseUrl = "";

const sha256 = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");
let secretDigest = "";

function qemuImg(...args: string[]): void {
  const r = spawnSync("qemu-img", args, { encoding: "utf8" });
  assert.equal(r.status, 0, `qemu-img ${args.join(" ")}: ${r.stderr}`);
}

before(async () => {
  mkdirSync(cli.root, { recursive: true });
  // a host file the attacker wants the guest to read (1 MiB, random: not an image of any format)
  writeFileSync(secret, randomBytes(1024 * 1024));
  secretDigest = sha256(secret);
  qemuImg("create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", backing);
  // qemu-img create initialises the data file it is given: made over a scratch file, then pointed at
  // the host file (amend only rewrites the name), as an attacker's image would arrive
  const scratch = join(cli.root, "scratch");
  writeFileSync(scratch, "");
  qemuImg("create", "-q", "-f", "qcow2", "-o", `data_file=${scratch},data_file_raw=on`, dataFile, "1M");
  qemuImg("amend", "-f", "qcow2", "-o", `data_file=${secret}`, dataFile);
  qemuImg("create", "-q", "-f", "qcow2", plain, "1M");
  qemuImg("create", "-q", "-f", "vmdk", vmdk, "1M");
  cli.chown();
  server = createServer((req, res) => {
    const file = join(cli.root, (req.url ?? "/").slice(1));
    if (!/^\/[a-z-]+\.qcow2$/.test(req.url ?? "") || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  baseUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
after(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await cli.cleanup();
});

/** Pids of processes whose command line mentions `text` (a QEMU started for the instance would). */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text) && Number(pid) !== process.pid) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out;
}

function assertRefused(r: Run, file: string, field: RegExp): void {
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  const said = asOwnStyle(r.stderr); // limactl's log line read as tslima's lines
  assert.match(said, /^code: ERR_TSLIMA_IMAGE_UNSAFE$/m, r.stderr);
  assert.ok(said.includes(file), `the error names ${file}:\n${r.stderr}`);
  assert.match(said, field);
  assert.match(said, /^hint: .*self-contained/m);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no stack trace");
  assert.equal(sha256(secret), secretDigest, "the host file is unchanged");
}

async function assertNothingStarted(name: string): Promise<void> {
  const p = instancePaths(cli.home, name);
  const st = parseList((await cli.ok(["list", "--json", name])).stdout)[0];
  assert.equal(st?.status, "Stopped");
  for (const f of [p.qemuPid, p.basedisk, p.diffdisk]) assert.ok(!existsSync(f), `${f} must not exist`);
  assert.deepEqual(processesMentioning(p.dir), [], "no process runs for the instance");
}

test("start: a template whose image (a local path) names a host backing file is refused before QEMU runs", async () => {
  const yaml = cli.file("backing.yaml", guestYaml("", { images: `images:\n- location: ${JSON.stringify(backing)}` }));
  const r = await cli.run(["start", "--name", "backing", "--timeout", "2m", yaml]);
  assertRefused(r, backing, /backing file on the host \((full-)?backing-filename: [^)]*host-secret\)/);
  await assertNothingStarted("backing");
  // a second start is refused the same way (nothing half-prepared lets it through)
  assertRefused(await cli.run(["start", "backing", "--timeout", "2m"]), backing, /backing-filename/);
  await assertNothingStarted("backing");
});

test("start: an image with an external data file on the host is refused, also through an http URL and the download cache", async () => {
  const yaml = cli.file("datafile.yaml", guestYaml("", { images: `images:\n- location: ${JSON.stringify(dataFile)}` }));
  assertRefused(await cli.run(["start", "--name", "datafile", "--timeout", "2m", yaml]), dataFile, /external data file on the host \(data-file: [^)]*host-secret\)/);
  await assertNothingStarted("datafile");
  const url = `${baseUrl}/evil-backing.qcow2`;
  const remote = cli.file("remote.yaml", guestYaml("", { images: `images:\n- location: ${JSON.stringify(url)}` }));
  assertRefused(await cli.run(["start", "--name", "remote", "--timeout", "2m", remote]), url, /backing-filename/);
  await assertNothingStarted("remote");
  // now it is cached: refused again from the cache
  assertRefused(await cli.run(["start", "remote", "--timeout", "2m"]), url, /backing-filename/);
  await assertNothingStarted("remote");
});

test("start: an additional disk file that names a host file is refused, and left unlocked", async () => {
  const d = diskPaths(cli.home, "evil");
  mkdirSync(d.dir, { recursive: true });
  qemuImg("create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", d.datadisk);
  cli.chown();
  const yaml = cli.file("withdisk.yaml", guestYaml("additionalDisks:\n- evil\n"));
  assertRefused(await cli.run(["start", "--name", "withdisk", "--timeout", "2m", yaml]), d.datadisk, /additional disk evil.*backing-filename/);
  await assertNothingStarted("withdisk");
  assert.ok(!existsSync(d.inUseBy), "the disk's lock is released");
});

test("a raw disk stays raw whatever its guest writes into it: a qcow2 header naming a host file there is data", async () => {
  await cli.ok(["disk", "create", "rawd", "--size", "4MiB", "--format", "raw"]);
  const d = diskPaths(cli.home, "rawd");
  // what guest root could write to the start of its raw disk: an image header naming a host file
  const header = readFileSync(backing).subarray(0, 64 * 1024);
  const fd = openSync(d.datadisk, "r+");
  writeSync(fd, header, 0, header.length, 0);
  closeSync(fd);
  const listed = JSON.parse((await cli.ok(["disk", "list", "--json", "rawd"])).stdout) as { format: string; size: number };
  assert.equal(listed.format, "raw", "the recorded format, not a probe of the guest's bytes");
  assert.equal(listed.size, 4 * 1024 * 1024);
  await cli.ok(["disk", "resize", "rawd", "--size", "8MiB"]);
  assert.equal((JSON.parse((await cli.ok(["disk", "list", "--json", "rawd"])).stdout) as { size: number }).size, 8 * 1024 * 1024);
  await cli.ok(["disk", "delete", "rawd"]);
});

/** Runs bin/limactl.js with the e2e home; never rejects. */
function limactl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "limactl.js"), ...args], { cwd: cli.root, env: cli.env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.once("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

test("disk import (tslima and limactl): images naming host files are refused and leave no disk; a plain one imports", async () => {
  const disks = async () => (await cli.ok(["disk", "list", "--json"])).stdout.split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { name: string }).name);
  const before = await disks();
  assertRefused(await cli.run(["disk", "import", "imp1", backing]), backing, /backing-filename/);
  assertRefused(await cli.run(["disk", "import", "imp2", dataFile]), dataFile, /data-file/);
  assertRefused(await limactl(["disk", "import", "imp3", backing]), backing, /backing-filename/);
  assertRefused(await limactl(["disk", "import", "imp4", dataFile]), dataFile, /data-file/);
  for (const n of ["imp1", "imp2", "imp3", "imp4"]) assert.ok(!existsSync(diskPaths(cli.home, n).dir), `no _disks/${n} is left`);
  assert.deepEqual(await disks(), before);
  // another format is refused with a hint to convert it knowingly
  const foreign = await cli.run(["disk", "import", "imp5", vmdk]);
  assert.equal(foreign.code, 1, foreign.stderr);
  assert.match(foreign.stderr, /^code: ERR_TSLIMA_IMAGE_UNSAFE$/m);
  assert.match(foreign.stderr, /format: vmdk/);
  assert.match(foreign.stderr, /^hint: .*qemu-img convert -O qcow2/m);
  assert.ok(!existsSync(diskPaths(cli.home, "imp5").dir));
  // the control: a self-contained qcow2 imports
  await cli.ok(["disk", "import", "good", plain]);
  assert.ok((await disks()).includes("good"));
  await cli.ok(["disk", "delete", "good"]);
});
