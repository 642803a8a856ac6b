import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_VNC_DISPLAY, displayOf, parseVncDisplay, videoFindings, wantsTpm } from "../../../src/config/video.js";
import { testConfig } from "../support/config.js";

const withVideo = (video: unknown, more: Record<string, unknown> = {}) => testConfig({ extra: { video, ...more } });

test("parseVncDisplay: Lima's default is display 0 up to 9 on 127.0.0.1, unchanged", () => {
  assert.deepEqual(parseVncDisplay(DEFAULT_VNC_DISPLAY), { host: "127.0.0.1", display: 0, to: 9, notes: [] });
  assert.deepEqual(parseVncDisplay("localhost:5"), { host: "localhost", display: 5, notes: [] });
  assert.deepEqual(parseVncDisplay("[::1]:1"), { host: "::1", display: 1, notes: [] });
});

test("parseVncDisplay: every address or a LAN address becomes 127.0.0.1 with a note", () => {
  for (const text of [":0", "0.0.0.0:0", "192.168.1.10:0", "[::]:0", "example.com:0"]) {
    const v = parseVncDisplay(text);
    assert.equal(v.host, "127.0.0.1", text);
    assert.equal(v.notes.length, 1, text);
    assert.match(v.notes[0] ?? "", /loopback/);
  }
});

test("parseVncDisplay: options other than to= are dropped with a note; to= is at least the display", () => {
  const v = parseVncDisplay("127.0.0.1:4,to=2,websocket=on,password=on");
  assert.equal(v.to, 4);
  assert.deepEqual(v.notes, ["option(s) websocket=on dropped: tslima's VNC server takes only to= and always has a password"]);
});

test("parseVncDisplay: what is not HOST:D is refused", () => {
  for (const text of ["unix:/tmp/x", "none", "to=9", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:60000"]) assert.throws(() => parseVncDisplay(text), text);
});

test("displayOf: vnc only when video.display is vnc; Lima's default display when vnc.display is unset", () => {
  assert.deepEqual(displayOf(testConfig({})), { kind: "none" });
  assert.deepEqual(displayOf(withVideo({ display: "default" })), { kind: "none" });
  assert.deepEqual(displayOf(withVideo({ display: "vnc", vnc: { display: null } })), { kind: "vnc", vnc: { host: "127.0.0.1", display: 0, to: 9, notes: [] } });
});

test("videoFindings: warnings for a window display and a rewritten address; an error for an unreadable one", () => {
  assert.deepEqual(videoFindings(withVideo({ display: "none" })), []);
  assert.deepEqual(videoFindings(withVideo({ display: "vnc" })), []);
  const gtk = videoFindings(withVideo({ display: "gtk" }));
  assert.equal(gtk.length, 1);
  assert.equal(gtk[0]?.warning, true);
  assert.match(gtk[0]?.message ?? "", /headless.*"vnc"/);
  const lan = videoFindings(withVideo({ display: "vnc", vnc: { display: "0.0.0.0:0" } }));
  assert.deepEqual(lan.map((f) => [f.path.join("."), f.warning]), [["video.vnc.display", true]]);
  const bad = videoFindings(withVideo({ display: "vnc", vnc: { display: "unix:/x" } }));
  assert.deepEqual(bad.map((f) => [f.path.join("."), f.warning]), [["video.vnc.display", undefined]]);
});

test("wantsTpm: only tpm: true", () => {
  assert.equal(wantsTpm(testConfig({ extra: { tpm: true } })), true);
  assert.equal(wantsTpm(testConfig({ extra: { tpm: "true" } })), false);
  assert.equal(wantsTpm(testConfig({})), false);
});
