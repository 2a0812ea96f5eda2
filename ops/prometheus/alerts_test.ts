import assert from "node:assert/strict";
import { promtool as runPromtool } from "../promtool.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** Runs promtool in this directory. */
const promtool = (...args: string[]) => runPromtool(HERE, ...args);

Deno.test("promtool accepts the alert rules", async () => {
  assert.match(await promtool("check", "rules", "alerts.yaml"), /SUCCESS: 10 rules found/);
});

Deno.test("promtool's unit tests of every alert, firing and quiet, pass", async () => {
  assert.match(await promtool("test", "rules", "alerts_test.yaml"), /SUCCESS/);
});
