import { test } from "node:test";
import assert from "node:assert/strict";
import { formatLogLine, goQuote, jsonLogLine, jsonLogWriter, logWriter } from "../../../src/proc/log-format.js";
import { extractGlobals, GlobalFlagError } from "../../../src/cli/main.js";

const t = new Date("2026-01-02T03:04:05.000Z");

test("--log-format json: a line becomes {level, msg, time}, the level read from its prefix", () => {
  assert.deepEqual(JSON.parse(jsonLogLine("error: it broke", t)), { level: "error", msg: "it broke", time: "2026-01-02T03:04:05.000Z" });
  assert.deepEqual(JSON.parse(jsonLogLine("[  12.5s] warning: using TCG", t)), { level: "warning", msg: "using TCG", time: t.toISOString() });
  assert.deepEqual(JSON.parse(jsonLogLine("[   4.1s] Starting QEMU", t)), { level: "info", msg: "[   4.1s] Starting QEMU", time: t.toISOString() });
  assert.deepEqual(JSON.parse(jsonLogLine("hint: try x", t)), { level: "info", msg: "hint: try x", time: t.toISOString() });
  assert.deepEqual(JSON.parse(jsonLogLine("gone", t, { code: "ERR_X" }, "fatal")), { level: "fatal", msg: "gone", code: "ERR_X", time: t.toISOString() });
});

test("the writer emits whole lines only, a partial one at flush", () => {
  const out: string[] = [];
  const w = jsonLogWriter((s) => out.push(s), () => t);
  w.write("warning: a");
  assert.equal(out.length, 0);
  w.write("b\nsecond\nthi");
  w.flush();
  assert.deepEqual(out.map((l) => JSON.parse(l) as { level: string; msg: string }).map((o) => [o.level, o.msg]), [["warning", "ab"], ["info", "second"], ["info", "thi"]]);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n")));
});

test("--log-format is a global flag: text or json, anywhere before the guest command", () => {
  assert.deepEqual(extractGlobals(["--log-format", "json", "list"]), { globals: { debug: false, logFormat: "json" }, rest: ["list"] });
  assert.deepEqual(extractGlobals(["list", "--log-format=text"]).globals, { debug: false, logFormat: "text" });
  assert.deepEqual(extractGlobals(["shell", "vm", "--log-format", "json"]).rest, ["shell", "vm", "--log-format", "json"]);
  assert.throws(() => extractGlobals(["--log-format", "xml", "list"]), (e: unknown) => e instanceof GlobalFlagError && /"--log-format" flag: use text or json/.test(e.message));
});

test("logrus text: time, level, msg Go-quoted, fields bare when safe; on a terminal the short coloured form", () => {
  const t = new Date("2026-01-02T03:04:05.678Z");
  assert.equal(formatLogLine({ format: "text" }, "info", "Protected `vm`", t), 'time="2026-01-02T03:04:05Z" level=info msg="Protected `vm`"');
  assert.equal(formatLogLine({ format: "text" }, "fatal", 'say "hi"\\\n\tok\x01', t, { code: "ERR_X", hint: "a b" }), 'time="2026-01-02T03:04:05Z" level=fatal msg="say \\"hi\\"\\\\\\n\\tok\\x01" code=ERR_X hint="a b"');
  assert.equal(goQuote("ünï"), '"ünï"');
  const tty = formatLogLine({ format: "text", terminal: { since: new Date(t.getTime() - 3500) } }, "warning", "careful", t);
  assert.equal(tty, "\x1b[33mWARN\x1b[0m[0003] careful");
  assert.deepEqual(JSON.parse(formatLogLine({ format: "json" }, "info", "x", t, { k: "v" })), { level: "info", msg: "x", k: "v", time: t.toISOString() });
});

test("logWriter turns tslima's lines into log lines and passes a progress bar (carriage returns) through", () => {
  const out: string[] = [];
  const t = new Date("2026-01-02T03:04:05Z");
  const w = logWriter({ format: "text" }, (s) => out.push(s), () => t);
  w.write("warning: low disk\nhalf");
  w.write(" line\n\r[==>   ] 40%");
  w.flush();
  assert.deepEqual(out, ['time="2026-01-02T03:04:05Z" level=warning msg="low disk"\n', 'time="2026-01-02T03:04:05Z" level=info msg="half line"\n', "\r[==>   ] 40%"]);
});

test("a released partial line (a question's prompt) goes out as it is, and so does the rest of that line", () => {
  const out: string[] = [];
  const t = new Date("2026-01-02T03:04:05Z");
  const w = logWriter({ format: "text" }, (s) => out.push(s), () => t);
  w.write("Copy back? [y]es, [n]o: ");
  assert.equal(w.pending(), true);
  w.release();
  w.write("y\nwarning: done\n");
  assert.deepEqual(out, ["Copy back? [y]es, [n]o: ", "y\n", 'time="2026-01-02T03:04:05Z" level=warning msg="done"\n']);
  assert.equal(w.pending(), false);
});
