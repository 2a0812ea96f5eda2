import assert from "node:assert/strict";

const HERE = new URL(".", import.meta.url).pathname;

/** Runs promtool in this directory; a missing promtool fails the test, it never skips it. */
async function promtool(...args: string[]): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("promtool", { args, cwd: HERE }).output();
  } catch (error) {
    throw new Error(
      "Cannot run promtool: it is not installed; install Debian's `prometheus` package (.ci/run does)",
      { cause: error },
    );
  }
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text);
  return text;
}

Deno.test("promtool accepts the alert rules", async () => {
  assert.match(await promtool("check", "rules", "alerts.yaml"), /SUCCESS: 10 rules found/);
});

Deno.test("promtool's unit tests of every alert, firing and quiet, pass", async () => {
  assert.match(await promtool("test", "rules", "alerts_test.yaml"), /SUCCESS/);
});
