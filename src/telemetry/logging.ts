/** Logging: JSON lines on stderr through LogTape, one category root for the service. */
import {
  configure,
  dispose,
  getLogger,
  getStreamSink,
  jsonLinesFormatter,
  type Logger,
} from "@logtape/logtape";
import type { Config } from "../config.ts";

/** The root category of every logger of the service. */
export const LOG_CATEGORY = "identity-sync";

/** Sends the service's logs, at `level` and above, to stderr as JSON lines. */
export async function setupLogging(level: Config["logLevel"]): Promise<void> {
  await configure({
    reset: true,
    sinks: { stderr: getStreamSink(Deno.stderr.writable, { formatter: jsonLinesFormatter }) },
    loggers: [
      { category: [LOG_CATEGORY], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Flushes and closes the log sinks; call before the process exits. */
export async function closeLogging(): Promise<void> {
  await dispose();
}

/** A logger below the service's root category, e.g. `logger("migrate")`. */
export function logger(...category: string[]): Logger {
  return getLogger([LOG_CATEGORY, ...category]);
}
