import assert from "node:assert/strict";
import { jsonLinesFormatter, type LogRecord } from "@logtape/logtape";
import { errorLine, loggedError, prettyLine, withoutErrorDetails } from "./logging.ts";

/** An error shaped as node-postgres makes them: the row's values in `detail`. */
function uniqueViolation(): Error {
  return Object.assign(
    new Error('duplicate key value violates unique constraint "accounts_username_key"'),
    {
      code: "23505",
      detail: "Key (username)=(ottoline.q) already exists.",
      where: "row (ottoline.q, Ottoline Q)",
    },
  );
}

Deno.test("loggedError() keeps the name, SQLSTATE and message of an error, never its detail", () => {
  const wrapped = new Error("Cannot apply the batch", { cause: uniqueViolation() });

  assert.deepEqual(loggedError(wrapped), {
    name: "Error",
    message: "Cannot apply the batch",
    cause: {
      name: "Error",
      sqlstate: "23505",
      message: 'duplicate key value violates unique constraint "accounts_username_key"',
    },
  });
  assert.equal(
    errorLine(uniqueViolation()),
    'duplicate key value violates unique constraint "accounts_username_key" (SQLSTATE 23505)',
  );
  assert.equal(errorLine("plain text"), "plain text");
});

Deno.test("the log line of a record with errors in its message and properties holds no detail", () => {
  const error = uniqueViolation();
  const record: LogRecord = {
    category: ["identity-sync", "http"],
    level: "error",
    message: ["HTTP request failed: ", error, ""],
    rawMessage: "HTTP request failed: {error}",
    timestamp: 0,
    properties: { error, path: "/v1/accounts" },
  };

  const line = String(jsonLinesFormatter(withoutErrorDetails(record)));

  assert.ok(!line.includes("ottoline"), line);
  assert.match(line, /"message":"HTTP request failed: .*duplicate key value.*\(SQLSTATE 23505\)/);
  assert.match(line, /"sqlstate":"23505"/);
  // Without it, the formatter writes every own property of the error.
  assert.ok(String(jsonLinesFormatter(record)).includes("ottoline"));
});

Deno.test("prettyLine() writes one human line: time, level, where, message, the other properties", async (t) => {
  const record: LogRecord = {
    category: ["identity-sync", "sync"],
    level: "warning",
    message: ["stream failed (", uniqueViolation(), "); reconnecting in ", 250, " ms"],
    rawMessage: "stream failed ({error}); reconnecting in {delay_ms} ms",
    timestamp: Date.UTC(2026, 11, 4, 21, 5, 9),
    properties: { error: uniqueViolation(), delay_ms: 250, attempt: 3, slot: "identity_sync" },
  };

  await t.step("the properties the message shows are not repeated; errors keep no detail", () => {
    const line = prettyLine(withoutErrorDetails(record));
    assert.equal(
      line,
      '21:05:09 WARNING sync: stream failed (duplicate key value violates unique constraint "accounts_username_key" (SQLSTATE 23505)); reconnecting in 250 ms  attempt=3 slot=identity_sync\n',
    );
    assert.ok(!line.includes("ottoline"));
  });
  await t.step("on a terminal it clears the line a progress bar is drawn on", () => {
    assert.ok(prettyLine(record, { clearLine: true }).startsWith("\r\x1b[2K21:05:09 WARNING"));
  });
  await t.step("the root category reads as main", () => {
    const root = { ...record, category: ["identity-sync"], properties: {} };
    assert.match(prettyLine(root), /^21:05:09 WARNING main: /);
  });
});
