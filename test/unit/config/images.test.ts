import { test } from "node:test";
import assert from "node:assert/strict";
import { imageCandidates } from "../../../src/config/images.js";
import { isTslimaError } from "../../../src/errors.js";

test("image candidates: the configured arch's entries in their order; none is IMAGE_NONE_FOR_ARCH", () => {
  const images = [
    { location: "a-arm.qcow2", arch: "aarch64" as const },
    { location: "a-x86.qcow2", arch: "x86_64" as const },
    { location: "build:debian-12", arch: "x86_64" as const },
  ];
  assert.deepEqual(imageCandidates({ arch: "x86_64", images }).map((i) => i.location), ["a-x86.qcow2", "build:debian-12"]);
  assert.throws(
    () => imageCandidates({ arch: "riscv64", images }),
    (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_IMAGE_NONE_FOR_ARCH" && /arch: riscv64/.test(e.hint ?? ""),
  );
});
