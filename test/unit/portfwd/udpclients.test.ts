/** The UDP relay's client table (issue 24): bounded, LRU eviction, idle expiry, ids never shared while live. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ClientTable } from "../../../src/portfwd/udpclients.js";

test("a known client keeps its id; a new one beyond maxClients evicts the least recently used", () => {
  const t = new ClientTable<string>({ maxClients: 2, idleMs: 1000, idSpace: 10 });
  const a = t.idFor("a", "A", 0);
  const b = t.idFor("b", "B", 1);
  assert.deepEqual(a.evicted, []);
  assert.equal(t.idFor("a", "A", 2).id, a.id, "a again: the same id, and now the most recent");
  const c = t.idFor("c", "C", 3);
  assert.deepEqual(c.evicted, [b.id], "b was the least recently used");
  assert.equal(t.addressOf(b.id, 3), undefined, "a frame for the evicted id is dropped");
  assert.equal(t.addressOf(a.id, 3), "A");
  assert.equal(t.size, 2);
});

test("an id freed is the last to be used again (FIFO of free ids)", () => {
  const t = new ClientTable<string>({ maxClients: 1, idleMs: 1000, idSpace: 3 });
  const ids = ["a", "b", "c", "d", "e"].map((k, i) => t.idFor(k, k, i).id);
  assert.deepEqual(ids, [0, 1, 2, 0, 1]);
});

test("clients idle for longer than idleMs expire, on a new client or on expire(); an answer counts as activity", () => {
  const t = new ClientTable<string>({ maxClients: 10, idleMs: 100, idSpace: 100 });
  const a = t.idFor("a", "A", 0).id;
  const b = t.idFor("b", "B", 50).id;
  assert.equal(t.addressOf(a, 90), "A");
  assert.deepEqual(t.expire(160), [b], "b last heard at 50; a answered at 90");
  assert.deepEqual(t.idFor("c", "C", 300).evicted, [a]);
  assert.deepEqual(t.liveIds().length, 1);
});

test("property: any sequence of client addresses terminates quickly, never exceeds maxClients, and never gives one live id to two clients", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 8 }),
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 40 }), dt: fc.integer({ min: 0, max: 50 }), answer: fc.boolean() }), { maxLength: 300 }),
      (maxClients, spare, steps) => {
        const t = new ClientTable<number>({ maxClients, idleMs: 100, idSpace: maxClients + spare });
        const live = new Map<number, number>(); // id -> key, as the guest would see it
        let now = 0;
        for (const s of steps) {
          now += s.dt;
          if (s.answer) {
            for (const id of t.expire(now)) live.delete(id);
            continue;
          }
          const { id, evicted } = t.idFor(String(s.key), s.key, now);
          for (const e of evicted) {
            assert.ok(live.has(e), `evicted ${e} was live`);
            live.delete(e);
          }
          const owner = live.get(id);
          assert.ok(owner === undefined || owner === s.key, `id ${id} given to ${s.key} while ${owner} holds it`);
          live.set(id, s.key);
          assert.ok(t.size <= maxClients);
          assert.ok(id >= 0 && id < maxClients + spare);
          assert.equal(t.addressOf(id, now), s.key);
        }
        assert.deepEqual(t.liveIds().sort((x, y) => x - y), [...live.keys()].sort((x, y) => x - y));
      },
    ),
    { numRuns: 300 },
  );
});

test("70,000 distinct clients through a full-size table finish in well under a second", () => {
  const t = new ClientTable<number>({ maxClients: 512, idleMs: 120_000, idSpace: 0xffff });
  const t0 = Date.now();
  let evictions = 0;
  for (let i = 0; i < 70_000; i++) evictions += t.idFor(`k${i}`, i, 0).evicted.length;
  assert.equal(t.size, 512);
  assert.equal(evictions, 70_000 - 512);
  assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
});
