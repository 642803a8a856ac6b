import { test } from "node:test";
import assert from "node:assert/strict";
import { posix } from "node:path";
import fc from "fast-check";
import { glob, type GlobFs } from "../../../src/mcp/glob.js";
import { GlobSyntaxError, parseGlob, segmentRegExp } from "../../../src/mcp/glob-match.js";

/** A file tree: paths ending in / are directories. */
function tree(paths: string[]): GlobFs & { reads: string[] } {
  const all = new Set<string>(["/"]);
  for (const p of paths) {
    let cur = p.replace(/\/$/, "");
    while (cur !== "/" && cur !== "") {
      all.add(cur + (cur === p.replace(/\/$/, "") && !p.endsWith("/") ? "" : "/"));
      cur = posix.dirname(cur);
    }
  }
  const dirs = new Set([...all].filter((p) => p.endsWith("/")).map((p) => (p === "/" ? "/" : p.slice(0, -1))));
  const files = new Set([...all].filter((p) => !p.endsWith("/")));
  const reads: string[] = [];
  return {
    reads,
    readdir: (dir: string) => {
      if (!dirs.has(dir)) return Promise.reject(new Error("not a directory"));
      reads.push(dir);
      const kids = [...dirs, ...files].filter((p) => p !== dir && posix.dirname(p) === dir);
      return Promise.resolve(kids.map((p) => ({ name: posix.basename(p), isDir: dirs.has(p) })));
    },
    exists: (p: string) => Promise.resolve(dirs.has(p) || files.has(p)),
  };
}

const fs = tree(["/w/tests/mcp.bats", "/w/tests/yq.bats", "/w/tests/sub/deep.bats", "/w/helpers/load.bash", "/w/.hidden.bats", "/w/a[1].txt", "/w/emoji💡.md", "/etc/os-release"]);

test("segments match as Go's path.Match: * and ? stay within a name, classes, escapes, dot files", async () => {
  assert.deepEqual((await glob("/w/*/*p.bats", fs)).matches, ["/w/tests/mcp.bats"]);
  assert.deepEqual((await glob("/w/tests/??.bats", fs)).matches, ["/w/tests/yq.bats"]);
  assert.deepEqual((await glob("/w/*.bats", fs)).matches, ["/w/.hidden.bats"]);
  assert.deepEqual((await glob("/w/tests/[m-n]*", fs)).matches, ["/w/tests/mcp.bats"]);
  assert.deepEqual((await glob("/w/tests/[^m]*.bats", fs)).matches, ["/w/tests/yq.bats"]);
  assert.deepEqual((await glob("/w/a\\[1\\].txt", fs)).matches, ["/w/a[1].txt"]);
  assert.deepEqual((await glob("/etc/*-release", fs)).matches, ["/etc/os-release"], "a - outside a class is a plain character");
  assert.deepEqual((await glob("/etc/os[-_]release", fs)).matches, ["/etc/os-release"], "a - first in a class is a member");
  assert.deepEqual((await glob("/w/emoji?.md", fs)).matches, ["/w/emoji💡.md"], "? is one character, also above U+FFFF");
});

test("** matches any number of directories, none included", async () => {
  assert.deepEqual((await glob("/w/**/*.bats", fs)).matches, ["/w/.hidden.bats", "/w/tests/mcp.bats", "/w/tests/sub/deep.bats", "/w/tests/yq.bats"]);
  assert.deepEqual((await glob("/w/**/deep.bats", fs)).matches, ["/w/tests/sub/deep.bats"]);
});

test("literal paths, no match, and a file where a directory is needed", async () => {
  assert.deepEqual((await glob("/etc/os-release", fs)).matches, ["/etc/os-release"]);
  assert.deepEqual((await glob("/w/nothing.to.see", fs)).matches, []);
  assert.deepEqual((await glob("/w/tests/mcp.bats/*", fs)).matches, []);
  assert.deepEqual((await glob("/w/x/../tests/yq.bats", fs)).matches, ["/w/tests/yq.bats"]);
});

test("the walk reads only the directories the pattern needs", async () => {
  const t = tree(["/a/b/c.txt", "/a/d/e.txt", "/z/big/1", "/z/big/2"]);
  await glob("/a/*/c.txt", t);
  assert.deepEqual(t.reads, ["/a"]);
});

test("limits stop the walk and say so", async () => {
  const many = tree(Array.from({ length: 50 }, (_, i) => `/d/f${i}`));
  const r = await glob("/d/*", many, { maxMatches: 10, maxDirs: 100 });
  assert.equal(r.matches.length, 10);
  assert.equal(r.truncated, true);
  const full = await glob("/d/*", many);
  assert.equal(full.matches.length, 50);
  assert.equal(full.truncated, false);
});

test("bad patterns are syntax errors", () => {
  assert.throws(() => parseGlob("a/[bc"), GlobSyntaxError);
  assert.throws(() => segmentRegExp("x\\"), GlobSyntaxError);
  assert.throws(() => segmentRegExp("[]"), GlobSyntaxError);
  assert.ok(segmentRegExp("[]a]").test("]"), "a ] first in a class is a member");
});

test("any name, its glob specials escaped, matches itself and nothing else (property)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).filter((n) => !n.includes("/")), fc.string({ unit: "grapheme", maxLength: 3 }), (name, extra) => {
      const re = segmentRegExp(name.replace(/[*?[\\]/g, "\\$&"));
      assert.ok(re.test(name));
      if (extra !== "") assert.equal(re.test(name + extra), false);
    }),
  );
});
