import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseCopyBackend, copyArgv, parseCopyArg, rsyncEndpoints } from "../../../src/instance/copy.js";
import { isTslimaError } from "../../../src/errors.js";

test("copy --backend auto picks rsync only when the host and the one instance have it", () => {
  assert.equal(chooseCopyBackend("auto", { instances: 1, hostRsync: true, guestRsync: true }), "rsync");
  assert.equal(chooseCopyBackend("auto", { instances: 1, hostRsync: false, guestRsync: true }), "scp");
  assert.equal(chooseCopyBackend("auto", { instances: 1, hostRsync: true, guestRsync: false }), "scp");
  assert.equal(chooseCopyBackend("auto", { instances: 2, hostRsync: true, guestRsync: true }), "scp");
  assert.equal(chooseCopyBackend("scp", { instances: 1, hostRsync: true, guestRsync: true }), "scp");
});

test("copy --backend rsync says why it cannot", () => {
  for (const [o, why] of [
    [{ instances: 2, hostRsync: true, guestRsync: true }, /two instances/],
    [{ instances: 1, hostRsync: false, guestRsync: false }, /not installed on the host/],
    [{ instances: 1, hostRsync: true, guestRsync: false }, /not installed in the instance/],
  ] as const) {
    assert.throws(() => chooseCopyBackend("rsync", o), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_COPY_BACKEND" && why.test(e.message) && /--backend scp/.test(e.hint ?? ""));
  }
  assert.equal(chooseCopyBackend("rsync", { instances: 1, hostRsync: true, guestRsync: true }), "rsync");
});

test("copyArgv: scp -3 between two instances, rsync over ssh -F, quiet unless verbose", () => {
  const a = { instance: "a", path: "/x" };
  const b = { instance: "B.2", path: "/y dir/" };
  assert.deepEqual(copyArgv("scp", "/t/ssh.config", a, b, { recursive: true }), ["-F", "/t/ssh.config", "-q", "-p", "-r", "-3", "--", "lima-a:/x", "lima-B.2:/y dir/"]);
  assert.deepEqual(copyArgv("scp", "/t/c", { path: "f" }, a, { verbose: true }), ["-F", "/t/c", "-p", "--", "f", "lima-a:/x"]);
  assert.deepEqual(copyArgv("rsync", "/t/my config", a, { path: "." }, {}), ["-e", "ssh -F '/t/my config'", "-lpt", "-q", "--", "lima-a:/x", "."]);
  assert.deepEqual(copyArgv("rsync", "/t/c", { path: "d" }, a, { recursive: true, verbose: true }), ["-e", "ssh -F /t/c", "-lpt", "-r", "-v", "--progress", "--", "d", "lima-a:/x"]);
});

test("parseCopyArg: Lima's instance names, upper case included", () => {
  assert.deepEqual(parseCopyArg("test-passwordlessSudo:/tmp/f", ["test-passwordlessSudo"]), { instance: "test-passwordlessSudo", path: "/tmp/f" });
  assert.throws(() => parseCopyArg("Nope:/f", ["a"]), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_UNKNOWN_INSTANCE");
  assert.deepEqual(parseCopyArg("./a:b", ["a"]), { path: "./a:b" });
});

test("a recursive rsync copy means what scp's does: into an existing directory under the source's name, else as the destination; a trailing / on the source changes nothing", () => {
  const vm = (path: string) => ({ instance: "vm", path });
  const host = (path: string) => ({ path });
  for (const src of ["/h/foo", "/h/foo/", "/h/foo//"]) {
    assert.deepEqual(rsyncEndpoints(host(src), vm("/t/foo"), false), [host("/h/foo/"), vm("/t/foo")], src);
    assert.deepEqual(rsyncEndpoints(host(src), vm("/t/dir"), true), [host("/h/foo"), vm("/t/dir/")], src);
    assert.deepEqual(rsyncEndpoints(host(src), vm("/t/dir/"), true), [host("/h/foo"), vm("/t/dir/")], src);
  }
  assert.deepEqual(rsyncEndpoints(vm("/t/foo/"), host("/h/new"), false), [vm("/t/foo/"), host("/h/new")]);
  assert.deepEqual(rsyncEndpoints(vm("/"), host("/h/root"), true), [vm("/"), host("/h/root/")]);
});
