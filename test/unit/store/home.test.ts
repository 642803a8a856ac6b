import { test } from "node:test";
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { tslimaHome } from "../../../src/store/paths.js";

test("the home is TSLIMA_HOME, else LIMA_HOME, else ~/.tslima; an empty variable counts as unset", () => {
  const dflt = join(homedir(), ".tslima");
  assert.equal(tslimaHome({}), dflt);
  assert.equal(tslimaHome({ TSLIMA_HOME: "", LIMA_HOME: "" }), dflt);
  assert.equal(tslimaHome({ LIMA_HOME: "/l" }), "/l");
  assert.equal(tslimaHome({ TSLIMA_HOME: "", LIMA_HOME: "/l" }), "/l");
  assert.equal(tslimaHome({ TSLIMA_HOME: "/t", LIMA_HOME: "/l" }), "/t");
  assert.equal(tslimaHome({ TSLIMA_HOME: "/t", LIMA_HOME: "" }), "/t");
  assert.equal(tslimaHome({ TSLIMA_HOME: "/t" }), "/t");
});
