/** promtool, run by the ops tests: a missing promtool fails a test, it never skips it. */
import assert from "node:assert/strict";

/** Runs `promtool args…` in `cwd`; asserts it succeeded and returns what it printed. */
export async function promtool(cwd: string | URL, ...args: string[]): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("promtool", { args, cwd }).output();
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
