import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { snapshotLimaYaml } from "../../../src/instance/snapshot-yaml.js";
import { loadConfigText } from "../../../src/config/index.js";
import type { HostFacts } from "../../../src/config/index.js";
import { linuxHost } from "../config/support.js";

const USER = { name: "lima", uid: 1000 };

test("a snapshot's lima.yaml names the guest user the source resolved, where it left the user out", () => {
  const text = 'images:\n- location: "build:debian-12"\n  arch: "x86_64"\n# the size\ncpus: 1\n';
  const out = snapshotLimaYaml(text, USER);
  assert.deepEqual((parse(out) as { user: unknown }).user, { name: "lima", uid: 1000 });
  assert.match(out, /^# the size$/m, "comments are kept");
  assert.deepEqual((parse(out) as { images: unknown }).images, (parse(text) as { images: unknown }).images);
});

test("fields the user set are kept; only the missing ones are filled in", () => {
  const out = snapshotLimaYaml("user:\n  name: alice\n  passwordlessSudo: false\n", USER);
  assert.deepEqual(parse(out), { user: { name: "alice", passwordlessSudo: false, uid: 1000 } });
  assert.equal(snapshotLimaYaml("user:\n  name: bob\n  uid: 1500\n", USER), "user:\n  name: bob\n  uid: 1500\n");
  // not a map: left alone for validation to report
  assert.equal(snapshotLimaYaml("user: 3\n", USER), "user: 3\n");
});

test("another host user loading the snapshot's lima.yaml gets the snapshot's guest user, not their own", () => {
  const text = 'images:\n- location: "build:debian-12"\n  arch: "x86_64"\n';
  const facts = (user: string, uid: number): HostFacts => ({ ...linuxHost, user, uid, gid: uid, home: user === "root" ? "/root" : `/home/${user}` });
  const load = (t: string, f: HostFacts) => loadConfigText(t, "lima.yaml", { hostFacts: f, tslimaHome: "/tmp/h", instanceName: "c" }).config.user;
  const taken = load(text, facts("root", 0));
  assert.deepEqual([taken.name, taken.uid], ["lima", 1000]);
  const pinned = snapshotLimaYaml(text, taken);
  assert.notEqual(load(text, facts("tslima-e2e", 1001)).name, "lima", "unpinned, the default follows the host user");
  const clone = load(pinned, facts("tslima-e2e", 1001));
  assert.deepEqual([clone.name, clone.uid, clone.home], ["lima", 1000, "/home/lima.guest"]);
});
