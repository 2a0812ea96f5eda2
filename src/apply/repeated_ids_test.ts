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
  assert.equal(ids.note("0"), true);
});
