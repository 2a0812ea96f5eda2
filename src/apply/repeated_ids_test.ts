import assert from "node:assert/strict";
import { MAX_REPEATED_IDS, RepeatedIds } from "./repeated_ids.ts";

Deno.test("every id noted twice is repeated, and an id noted once rarely", () => {
  const ids = new RepeatedIds();
  const count = 300_000;
  /** Every id `note` called repeated. */
  const said = new Set<string>();
  const note = (id: string) => {
    const repeated = ids.note(id);
    if (repeated) said.add(id);
    return repeated;
  };
  let wrongFirst = 0;
  for (let id = 0; id < count; id++) if (note(`${id}`)) wrongFirst++;
  let missed = 0;
  for (let id = 0; id < count; id += 7) if (!note(`${id}`)) missed++;
  assert.equal(missed, 0);
  let wrongOthers = 0;
  for (let id = 0; id < count; id++) if (note(`other-${id}`)) wrongOthers++;
  // Spread over the layers the ids filled, each about two in 10,000 when full.
  assert.ok(wrongFirst < count / 1_000, `${wrongFirst} of ${count} fresh ids taken for seen`);
  assert.ok(wrongOthers < count / 1_000, `${wrongOthers} of ${count} fresh ids taken for seen`);
  assert.deepEqual(new Set(ids.ids), said);
  assert.ok(said.size >= Math.ceil(count / 7));
});

Deno.test("the ids of one change count among those noted", () => {
  const ids = new RepeatedIds();
  assert.equal(ids.note("a", "b"), false);
  assert.equal(ids.note("b"), true);
  assert.equal(ids.note("c", "c"), true);
  assert.equal(ids.note("d"), false);
  assert.deepEqual([...ids.ids!].sort(), ["b", "c"]);
});

Deno.test("past the most repeated ids kept, there are too many to tell", () => {
  const ids = new RepeatedIds();
  for (let id = 0; id <= MAX_REPEATED_IDS; id++) ids.note(`${id}`, `${id}`);
  assert.equal(ids.ids, null);
  // Let go: the spool counts them itself.
  assert.equal(ids.note("0"), false);
});

Deno.test("past the most ids noted, there are too many to tell", () => {
  const ids = new RepeatedIds({ ids: 1_000, repeated: MAX_REPEATED_IDS });
  for (let id = 0; id < 1_000; id++) ids.note(`${id}`);
  assert.equal(ids.note("0"), true);
  assert.deepEqual(ids.ids, null);
  assert.equal(ids.note("1"), false);
});

Deno.test("an empty id is an id like any other", () => {
  const ids = new RepeatedIds();
  assert.equal(ids.note(""), false);
  assert.equal(ids.note("x", ""), true);
  assert.deepEqual(ids.ids, [""]);
});
