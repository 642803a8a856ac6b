import { test } from "node:test";
import assert from "node:assert/strict";
import { toAgentPath, toGuestPath, ToolPathError, type PathContext } from "../../../src/mcp/paths.js";

const ctx: PathContext = {
  instance: "box",
  project: "/home/u/proj",
  mounts: [
    { location: "/home/u", mountPoint: "/home/u", writable: false },
    { location: "/home/u/proj/data", mountPoint: "/mnt/data", writable: true },
    { location: "/srv/shared/", mountPoint: "/shared/", writable: true },
  ],
};

test("a host path under a mount becomes its path under the mount point (the longest location wins)", () => {
  assert.equal(toGuestPath("/home/u/proj/src/a.ts", ctx), "/home/u/proj/src/a.ts");
  assert.equal(toGuestPath("/home/u/proj/data", ctx), "/mnt/data");
  assert.equal(toGuestPath("/home/u/proj/data/x/../y.csv", ctx), "/mnt/data/y.csv");
  assert.equal(toGuestPath("/srv/shared/f", ctx), "/shared/f");
  assert.equal(toGuestPath("/srv/sharedness", ctx), "/srv/sharedness", "a sibling with a common prefix is not under the mount");
});

test("other absolute paths are the guest's own", () => {
  assert.equal(toGuestPath("/etc/os-release", ctx), "/etc/os-release");
  assert.equal(toGuestPath("/tmp/", ctx), "/tmp");
  assert.equal(toGuestPath("/", ctx), "/");
});

test("relative and empty paths are refused with Lima's words", () => {
  assert.throws(() => toGuestPath("os-release", ctx), (e: Error) => e instanceof ToolPathError && e.message === "expected an absolute path, got a relative path: `os-release`");
  assert.throws(() => toGuestPath("", ctx), /path is empty/);
});

test("a project path that no mount shares is refused, naming the folder and how to share it", () => {
  const unshared: PathContext = { instance: "box", project: "/work/app", mounts: [{ location: "/home/u", mountPoint: "/home/u", writable: false }] };
  assert.throws(
    () => toGuestPath("/work/app/src/main.ts", unshared),
    (e: Error) => e instanceof ToolPathError && e.message.includes("/work/app") && e.message.includes("not shared with instance box") && e.message.includes("--mount /work/app:w"),
  );
  assert.throws(() => toGuestPath("/work/app", unshared), ToolPathError);
  assert.equal(toGuestPath("/work/application", unshared), "/work/application");
});

test("a whole-root mount shares everything", () => {
  const root: PathContext = { instance: "box", project: "/p", mounts: [{ location: "/", mountPoint: "/host", writable: false }] };
  assert.equal(toGuestPath("/p/a", root), "/host/p/a");
  assert.equal(toAgentPath("/host/p/a", root), "/p/a");
  assert.equal(toAgentPath("/host", root), "/");
});

test("guest paths under a mount point are given back as host paths", () => {
  assert.equal(toAgentPath("/mnt/data/y.csv", ctx), "/home/u/proj/data/y.csv");
  assert.equal(toAgentPath("/shared", ctx), "/srv/shared");
  assert.equal(toAgentPath("/etc/hosts", ctx), "/etc/hosts");
});
