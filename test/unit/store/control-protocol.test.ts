import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { activityAfter, decodeReply, decodeRequest, encode, MAX_LINE_BYTES, takeLines, type ControlReply, type ControlRequest } from "../../../src/store/control-protocol.js";

const id = fc.nat();
const progress = fc.option(fc.boolean(), { nil: undefined });
const withProgress = <T extends object>(o: T, p: boolean | undefined) => (p === undefined ? o : { ...o, progress: p });

const request: fc.Arbitrary<ControlRequest> = fc.oneof(
  id.map((id) => ({ id, type: "status" as const })),
  fc.tuple(id, progress).map(([id, p]) => withProgress({ id, type: "suspend" as const }, p)),
  fc.tuple(id, fc.string().map((s) => `/${s}`), progress).map(([id, dir, p]) => withProgress({ id, type: "snapshot" as const, dir }, p)),
  fc.tuple(id, fc.option(fc.nat(), { nil: undefined })).map(([id, since]) => (since === undefined ? { id, type: "events" as const } : { id, type: "events" as const, since })),
);

const status = fc.record(
  {
    pid: fc.nat(),
    qemuPid: fc.nat(),
    running: fc.boolean(),
    ready: fc.boolean(),
    sshLocalPort: fc.integer({ min: 1, max: 65535 }),
    activity: fc.constantFrom("starting" as const, "booting" as const, "ready" as const, "suspending" as const, "snapshotting" as const, "exiting" as const, "failed" as const),
    step: fc.constantFrom("wait-ssh", "unmount"),
  },
  { requiredKeys: ["pid", "activity"], noNullPrototype: true },
);

const reply: fc.Arbitrary<ControlReply> = fc.oneof(
  fc.tuple(id, status).map(([id, status]) => ({ id, type: "status" as const, status })),
  fc.tuple(id, fc.nat()).map(([id, stateBytes]) => ({ id, type: "done" as const, stateBytes })),
  fc.tuple(id, fc.nat()).map(([id, seq]) => ({ id, type: "subscribed" as const, seq })),
  fc.tuple(id, fc.nat(), fc.string(), fc.boolean()).map(([id, seq, message, ready]) => ({ id, type: "event" as const, seq, event: { time: "2026-01-01T00:00:00.000Z", status: { ready }, kind: "message" as const, message } })),
  fc.tuple(fc.option(id, { nil: null }), fc.string(), fc.option(fc.string(), { nil: undefined })).map(([id, message, hint]) => ({
    id,
    type: "error" as const,
    error: hint === undefined ? { code: "NOT_RUNNING" as const, message } : { code: "SUSPEND_BUSY" as const, message, hint },
  })),
);

test("a request decodes to what was encoded; the line is one line", () => {
  fc.assert(
    fc.property(request, (r) => {
      const line = encode(r);
      assert.equal(line.indexOf("\n"), line.length - 1);
      assert.deepEqual(decodeRequest(line.trimEnd()), r);
    }),
  );
});

test("a reply decodes to what was encoded", () => {
  fc.assert(fc.property(reply, (r) => assert.deepEqual(decodeReply(encode(r).trimEnd()), r)));
});

test("garbage is a problem, never a throw; with the id when the line has one", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (line) => {
      const r = decodeRequest(line);
      if ("problem" in r) assert.ok(r.problem.length > 0);
      else assert.ok(["status", "suspend", "snapshot", "events"].includes(r.type));
      decodeReply(line);
    }),
  );
  assert.deepEqual(decodeRequest("nope"), { id: null, problem: "the line is not JSON" });
  assert.deepEqual(decodeRequest("[1]"), { id: null, problem: "the line is not a JSON object" });
  assert.deepEqual(decodeRequest('{"type":"status"}'), { id: null, problem: "the request has no id (a non-negative integer)" });
  assert.match(String((decodeRequest('{"id":3,"type":"reboot"}') as { problem: string }).problem), /unknown request type "reboot"/);
  assert.equal(decodeRequest('{"id":3,"type":"reboot"}').id, 3);
  assert.match(String((decodeRequest('{"id":4,"type":"snapshot","dir":"relative"}') as { problem: string }).problem), /absolute dir/);
  assert.match(String((decodeRequest('{"id":5,"type":"events","since":-1}') as { problem: string }).problem), /since/);
  assert.match(String((decodeRequest('{"id":6,"type":"suspend","progress":"yes"}') as { problem: string }).problem), /progress/);
  assert.match(String((decodeRequest(`{"id":7,"type":"status","x":"${"a".repeat(MAX_LINE_BYTES)}"}`) as { problem: string }).problem), /longer than/);
  assert.ok("problem" in decodeReply('{"id":1,"type":"status","status":{"pid":1,"activity":"dancing"}}'));
  assert.ok("problem" in decodeReply('{"id":1,"type":"event","seq":1,"event":{"status":{}}}'), "an event without time");
  assert.deepEqual(decodeReply('{"id":1,"type":"error","error":{"code":"NO_SUCH","message":"m"}}'), { id: 1, type: "error", error: { code: "INTERNAL", message: "m" } });
});

test("takeLines: complete lines out, the rest kept, an overlong rest flagged", () => {
  assert.deepEqual(takeLines('{"a":1}\n\n{"b"'), { lines: ['{"a":1}'], rest: '{"b"', overflow: false });
  assert.deepEqual(takeLines("partial"), { lines: [], rest: "partial", overflow: false });
  assert.equal(takeLines("x".repeat(MAX_LINE_BYTES + 1)).overflow, true);
  fc.assert(
    fc.property(fc.array(fc.string().map((s) => s.replaceAll("\n", "")), { maxLength: 5 }), fc.nat(40), (parts, cut) => {
      const text = parts.map((p) => `${p}\n`).join("");
      const a = takeLines(text.slice(0, cut));
      const b = takeLines(a.rest + text.slice(cut));
      assert.deepEqual([...a.lines, ...b.lines], parts.filter((p) => p.trim() !== ""), "split anywhere, the same lines");
    }),
  );
});

test("activityAfter: booting, ready, a suspend and a snapshot, a failure, the exit", () => {
  const at = (e: Parameters<typeof activityAfter>[1], before: Parameters<typeof activityAfter>[0] = "starting") => activityAfter(before, e);
  assert.equal(at({ status: {}, kind: "step", step: "wait-ssh", message: "" }), "booting");
  assert.equal(at({ status: { ready: true }, kind: "ready", message: "READY" }, "booting"), "ready");
  assert.equal(at({ status: { ready: false }, kind: "suspend", phase: "requested" }, "ready"), "suspending");
  assert.equal(at({ status: { ready: false }, kind: "step", step: "unmount", message: "" }, "suspending"), "suspending");
  assert.equal(at({ status: { ready: true }, kind: "suspend", phase: "failed" }, "suspending"), "ready");
  assert.equal(at({ status: { ready: false }, kind: "snapshot", phase: "requested" }, "ready"), "snapshotting");
  assert.equal(at({ status: { ready: true }, kind: "snapshot", phase: "saved" }, "snapshotting"), "ready");
  assert.equal(at({ status: { errors: ["x"] }, kind: "other" }, "booting"), "failed");
  assert.equal(at({ status: { exiting: true }, kind: "exiting", message: "exiting" }, "ready"), "exiting");
});
