import assert from "node:assert/strict";
import { jsonLinesFormatter, type LogRecord } from "@logtape/logtape";
import { errorLine, loggedError, withoutErrorDetails } from "./logging.ts";

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
