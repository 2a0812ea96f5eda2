import assert from "node:assert/strict";
import { Admission } from "./admission.ts";

Deno.test("Admission gives anonymous reads a quarter of their share while a write is in flight", async () => {
  const gate = new Admission({ maxInFlight: 16, anonymousInFlight: 8, maxWaitMs: 1_000 });
  const reads = [];
  for (let i = 0; i < 8; i++) reads.push(await gate.enter("anonymous"));
  assert.ok(reads.every((release) => release !== undefined));
  const write = (await gate.enter("priority"))!;
  for (const release of reads.slice(2)) release!();
  assert.equal(gate.hasRoom("anonymous"), false, "2 reads in flight: a quarter of 8 is taken");
  assert.equal(await gate.enter("anonymous"), undefined);
  reads[1]!();
  assert.equal(gate.hasRoom("anonymous"), true);
  write();
  const more = [];
  for (let i = 0; i < 7; i++) more.push(await gate.enter("anonymous"));
  assert.ok(more.every((release) => release !== undefined), "no write: the whole share");
  assert.equal(await gate.enter("anonymous"), undefined);
  for (const release of [reads[0], ...more]) release!();
  assert.deepEqual(gate.load, { inFlight: 0, anonymous: 0, waiting: 0 });
});

Deno.test("Admission refuses anonymous requests past their share at once, and keeps room for writes", async () => {
  const gate = new Admission({ maxInFlight: 3, anonymousInFlight: 2, maxWaitMs: 1_000 });
  const a1 = await gate.enter("anonymous");
  const a2 = await gate.enter("anonymous");
  assert.ok(a1 && a2);
  assert.equal(await gate.enter("anonymous"), undefined, "the anonymous share is full");
  const w1 = await gate.enter("priority");
  assert.ok(w1, "a write finds the room anonymous reads cannot take");
  a1();
  a1(); // giving back twice gives back once
  assert.deepEqual(gate.load, { inFlight: 2, anonymous: 1, waiting: 0 });
  a2();
  w1();
  assert.deepEqual(gate.load, { inFlight: 0, anonymous: 0, waiting: 0 });
});

Deno.test("Admission lets a waiting write in before any new anonymous read", async () => {
  const gate = new Admission({ maxInFlight: 2, anonymousInFlight: 1, maxWaitMs: 5_000 });
  const a = (await gate.enter("anonymous"))!;
  const w = (await gate.enter("priority"))!;
  const waiting = gate.enter("priority");
  assert.equal(gate.load.waiting, 1);
  a();
  assert.equal(await gate.enter("anonymous"), undefined, "the freed room went to the write");
  const admitted = await waiting;
  assert.ok(admitted);
  admitted();
  w();
  assert.deepEqual(gate.load, { inFlight: 0, anonymous: 0, waiting: 0 });
});

Deno.test("Admission refuses a write that found no room within its wait", async () => {
  const gate = new Admission({ maxInFlight: 2, anonymousInFlight: 1, maxWaitMs: 20 });
  const held = [(await gate.enter("priority"))!, (await gate.enter("priority"))!];
  const started = performance.now();
  assert.equal(await gate.enter("priority"), undefined);
  assert.ok(performance.now() - started >= 15);
  assert.equal(gate.load.waiting, 0);
  for (const release of held) release();
});

Deno.test("Admission refuses a share that leaves writes no room", () => {
  assert.throws(
    () => new Admission({ maxInFlight: 2, anonymousInFlight: 2, maxWaitMs: 1 }),
    RangeError,
  );
});
