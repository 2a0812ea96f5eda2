/** The command line: argv → command. The only place that exits the process. */
import { parseArgs } from "node:util";
import {
  CONFIG_FLAGS,
  ConfigError,
  configFlagOptions,
  parseConfig,
  secretFlagWarnings,
} from "./config.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { snapshotCommand } from "./commands/snapshot.ts";
import { serveCommand } from "./commands/serve.ts";
import { statusCommand } from "./commands/status.ts";
import { syncCommand } from "./commands/sync.ts";
import { demoCommand } from "./commands/demo.ts";
import { verifyCommand } from "./commands/verify.ts";
import { deadLettersCommand } from "./commands/dead_letters.ts";
import { namesRejudgeCommand } from "./commands/names_rejudge.ts";
import { closeLogging, errorLine, setupLogging } from "./logging/logging.ts";
import type { Config } from "./config.ts";

const COMMANDS: Record<string, { run: (config: Config) => Promise<void>; help: string }> = {
  migrate: { run: migrateCommand, help: "apply the identity schema migrations" },
  serve: {
    run: serveCommand,
    help: "the account API alone: create, rename, delete, resolve accounts, check names",
  },
  status: {
    run: statusCommand,
    help: "phase, snapshot progress, slot lag and WAL, last applied change, dead letters (--json)",
  },
  demo: {
    run: demoCommand,
    help: "the main job on the embedded default: messy legacy users, snapshot, verify (--rows N)",
  },
  sync: {
    run: syncCommand,
    help: "the daemon: snapshot when needed, then stream the slot into the identity tables",
  },
  snapshot: {
    run: snapshotCommand,
    help: "backfill: a username and public ID for every legacy account (--dry-run, --workers N)",
  },
  verify: { run: verifyCommand, help: "check the identity invariants; exit 1 on a breach" },
  "dead-letters": {
    run: deadLettersCommand,
    help: "list changes that failed to apply, as JSON (--retry applies them again first)",
  },
  "names:rejudge": {
    run: namesRejudgeCommand,
    help: "dry run, changes nothing: list existing names the current policy would refuse (JSON)",
  },
};

const USAGE = [
  "usage: deno task <command> [--flag value ...]",
  "",
  "commands:",
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.help}`),
  "",
  "flags (each overrides the environment variable of the same name):",
  ...CONFIG_FLAGS.map((flag) => `  --${flag}`),
].join("\n");

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        ...configFlagOptions(),
      },
    });
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [name, ...rest] = parsed.positionals;
  if (parsed.values.help || name === undefined) {
    console.log(USAGE);
    return name === undefined && !parsed.values.help ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command || rest.length > 0) {
    console.error(`error: unknown command "${[name, ...rest].join(" ")}"\n\n${USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    const { help: _, ...given } = parsed.values;
    const flags = Object.fromEntries(
      Object.entries(given).map(([flag, value]) => [flag, String(value)]),
    );
    for (const warning of secretFlagWarnings(flags)) console.error(`warning: ${warning}`);
    config = parseConfig({ env: Deno.env.toObject(), flags });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  await setupLogging(config.logLevel, { format: config.logFormat });
  try {
    await command.run(config);
    return 0;
  } catch (error) {
    console.error(`error: ${errorLine(error)}`);
    return 1;
  } finally {
    await closeLogging();
  }
}

Deno.exit(await main(Deno.args));
