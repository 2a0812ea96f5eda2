/** What a daemon started by a test says: its log lines on stderr, its metrics. */
import { waitFor } from "./wait_for.ts";

/** The log lines a process writes on stderr, collected as they come until it exits. */
export interface ProcessLog {
  readonly lines: string[];
  /** Resolves once stderr is closed. */
  readonly done: Promise<void>;
  /** Waits for a line that contains `text`. */
  waitFor(text: string, options?: { timeoutMs?: number }): Promise<void>;
}

/** Collects `child`'s stderr (spawned with `stderr: "piped"`) line by line. */
export function logOf(child: Deno.ChildProcess): ProcessLog {
  const lines: string[] = [];
  const done = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
    if (rest) lines.push(rest);
  })();
  return {
    lines,
    done,
    waitFor: async (text, options) => {
      await waitFor(
        `the daemon to log "${text}"`,
        () => Promise.resolve(lines.some((line) => line.includes(text))),
        options,
      );
    },
  };
}

/** The value of the unlabelled series `name` at `/metrics` on `port`; undefined when absent. */
export async function metricAt(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}
