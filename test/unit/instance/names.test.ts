import { test } from "node:test";
import assert from "node:assert/strict";
import { instanceNameProblem, nameFromLocator, validateInstanceName } from "../../../src/instance/names.js";

test("valid instance names pass", () => {
  for (const n of ["default", "dev-1", "a", "debian.12", "x86-64-box", "test-passwordlessSudo", "Dev", "a_b", "MY_VM.2"]) assert.equal(instanceNameProblem(n), undefined, n);
});

test("invalid names are rejected with a reason", () => {
  for (const n of ["", "-a", "a-", "a..b", "a__b", "a._b", "_config", ".hidden", "a/b", "a b", "é", "x".repeat(59)]) {
    assert.notEqual(instanceNameProblem(n), undefined, n);
  }
  assert.throws(() => validateInstanceName("Bad!"), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_INVALID_NAME");
});

test("names derived from locators", () => {
  assert.equal(nameFromLocator("template:docker"), "docker");
  assert.equal(nameFromLocator("template://ubuntu-lts"), "ubuntu-lts");
  assert.equal(nameFromLocator("./examples/My_VM.yaml"), "my-vm");
  assert.equal(nameFromLocator("https://example.com/t/alpine.yml?x=1"), "alpine");
});
