import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyToHost, writeHostCopy } from "../../../src/hostagent/copy-to-host.js";
import { recordHostCopy, removeHostCopies } from "../../../src/store/host-copies.js";
import { instancePaths } from "../../../src/store/paths.js";
import { isTslimaError } from "../../../src/errors.js";
import { COPY_TO_HOST_MAX_BYTES } from "../../../src/config/copy-to-host.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "tslima-copy-to-host-"));
}

/**
 * A fake `ssh` first on PATH that runs the remote script on this host (`sh -c` of its last word), so
 * copyToHost reads local files the way it reads the guest's. `sudo` is not faked: a file the user
 * may not read fails as it does in a guest without passwordless sudo.
 */
function withFakeSsh<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "ssh"), '#!/bin/sh\nfor a; do last=$a; done\nexec sh -c "$last"\n', { mode: 0o755 });
  writeFileSync(join(bin, "sudo"), "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n", { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved ?? ""}`;
  return fn().finally(() => (process.env.PATH = saved));
}

const never = new AbortController().signal;

test("writeHostCopy: parents made 0700, the file 0600, a link planted at the path replaced and its target untouched", () => {
  const d = tmp();
  try {
    const target = join(d, "victim");
    writeFileSync(target, "keep\n");
    const host = join(d, "a", "b", "copy");
    mkdirSync(join(d, "a", "b"), { recursive: true });
    symlinkSync(target, host);
    writeHostCopy(host, Buffer.from("guest content\n"), 0);
    assert.equal(readFileSync(target, "utf8"), "keep\n", "the link's target is not written");
    assert.equal(lstatSync(host).isSymbolicLink(), false);
    assert.equal(readFileSync(host, "utf8"), "guest content\n");
    assert.equal(statSync(host).mode & 0o777, 0o600);
    const fresh = join(d, "new", "dir", "copy");
    writeHostCopy(fresh, Buffer.from([0, 255, 1]), 0);
    assert.deepEqual([...readFileSync(fresh)], [0, 255, 1], "bytes, not text");
    assert.equal(statSync(join(d, "new")).mode & 0o777, 0o700);
    mkdirSync(join(d, "isdir"));
    assert.throws(() => writeHostCopy(join(d, "isdir"), Buffer.from("x"), 3), (e) => isTslimaError(e) && e.kind === "COPY_TO_HOST" && /copyToHost\[3\]: cannot write/.test(e.message));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("copyToHost over ssh: copies, skips a missing file with skipIfMissing, fails one without, refuses an unreadable or oversized one", async () => {
  const d = tmp();
  const paths = instancePaths(d, "i");
  mkdirSync(paths.dir);
  try {
    await withFakeSsh(d, async () => {
      const guest = join(d, "guest-file");
      writeFileSync(guest, "hello from the guest\n");
      const said: string[] = [];
      const host = join(d, "out", "copy");
      await copyToHost(paths, [
        { guest, host, skipIfMissing: false, deleteOnStop: true },
        { guest: join(d, "nope"), host: join(d, "out", "nope"), skipIfMissing: true, deleteOnStop: true },
      ], (m) => said.push(m), never);
      assert.equal(readFileSync(host, "utf8"), "hello from the guest\n");
      assert.equal(existsSync(join(d, "out", "nope")), false);
      assert.match(said.join("\n"), /skipped \(skipIfMissing\)/);
      // only what was written is recorded for deleteOnStop; removing it leaves the record gone
      removeHostCopies(paths, () => undefined);
      assert.equal(existsSync(host), false);
      assert.equal(existsSync(join(paths.dir, "copied-to-host.json")), false);

      const fails = (rule: { guest: string; skipIfMissing?: boolean }, re: RegExp) =>
        assert.rejects(copyToHost(paths, [{ host, skipIfMissing: false, deleteOnStop: false, ...rule }], () => undefined, never), (e) => isTslimaError(e) && e.kind === "COPY_TO_HOST" && re.test(e.message));
      await fails({ guest: join(d, "nope") }, /does not exist in the guest/);
      const secret = join(d, "secret");
      writeFileSync(secret, "x");
      chmodSync(secret, 0o000);
      if (process.getuid?.() !== 0) await fails({ guest: secret }, /cannot read .*secret.*password is required/);
      const big = join(d, "big");
      writeFileSync(big, Buffer.alloc(COPY_TO_HOST_MAX_BYTES + 1));
      await fails({ guest: big }, /larger than 64 MiB/);
    });
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("removeHostCopies: files and links go (a link's target stays), a directory put there since stays, the record goes", () => {
  const d = tmp();
  const paths = instancePaths(d, "i");
  mkdirSync(paths.dir);
  try {
    const file = join(d, "f");
    const link = join(d, "l");
    const dir = join(d, "dir");
    writeFileSync(file, "x");
    symlinkSync(file, link);
    mkdirSync(dir);
    for (const p of [link, dir, link]) recordHostCopy(paths, p);
    assert.deepEqual(JSON.parse(readFileSync(join(paths.dir, "copied-to-host.json"), "utf8")), [link, dir]);
    const log: string[] = [];
    removeHostCopies(paths, (m) => log.push(m));
    assert.equal(existsSync(link), false);
    assert.equal(readFileSync(file, "utf8"), "x");
    assert.equal(existsSync(dir), true);
    assert.match(log.join("\n"), /could not remove .*dir/);
    assert.equal(existsSync(join(paths.dir, "copied-to-host.json")), false);
    removeHostCopies(paths, () => assert.fail("nothing recorded, nothing to say"));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
