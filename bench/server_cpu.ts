/**
 * CPU of a whole PostgreSQL server over a window, every process that lived in it included: the
 * postmaster's `cutime + cstime` grow by the CPU of each child it reaps, so its own time, its
 * reaped children's and its live children's, at the end minus at the start, is all of it.
 */
import { childPids, commandLine, processCpu } from "./process_cpu.ts";

/** A server's CPU seconds in a window, and the part of it each kind of process took. */
export interface ServerCpu {
  seconds: number;
  /**
   * By kind of process (`walsender`, `apply worker`, `client backend`, …) as last seen alive;
   * `exited` is what processes spent after their last sample, or between two samples.
   */
  byKind: Record<string, number>;
}

interface Reading {
  postmaster: number;
  reaped: number;
  children: Map<number, { kind: string; cpu: number }>;
}

/** Measures one server from `start()` to `finish()`; `sample()` in between sees short-lived children. */
export class ServerCpuMeter {
  readonly #pid: number;
  #start: Reading | undefined;
  /** Every child seen in the window, at its last sample. */
  readonly #seen = new Map<number, { kind: string; cpu: number }>();

  /** `pid` is the postmaster's. */
  constructor(pid: number) {
    this.#pid = pid;
  }

  /** Starts the window. */
  start(): void {
    this.#start = this.#read();
    this.#seen.clear();
  }

  /** Remembers the live children's CPU so far. */
  sample(): void {
    for (const [pid, child] of this.#read().children) this.#remember(pid, child);
  }

  /** Ends the window. */
  finish(): ServerCpu {
    const start = this.#start;
    if (!start) throw new Error("Cannot finish a CPU window that was not started");
    const end = this.#read();
    for (const [pid, child] of end.children) this.#remember(pid, child);
    const sum = (reading: Reading) =>
      reading.postmaster + reading.reaped +
      [...reading.children.values()].reduce((total, child) => total + child.cpu, 0);
    const seconds = sum(end) - sum(start);
    const byKind: Record<string, number> = { postmaster: end.postmaster - start.postmaster };
    for (const [pid, child] of this.#seen) {
      const spent = child.cpu - (start.children.get(pid)?.cpu ?? 0);
      byKind[child.kind] = (byKind[child.kind] ?? 0) + spent;
    }
    const attributed = Object.values(byKind).reduce((total, value) => total + value, 0);
    byKind.exited = seconds - attributed;
    return { seconds, byKind };
  }

  /** A child's CPU so far, under the kind it had while it ran (a zombie's title is empty). */
  #remember(pid: number, child: { kind: string; cpu: number }): void {
    const known = this.#seen.get(pid)?.kind;
    const kind = known && (child.kind === "starting" || child.kind === "exited")
      ? known
      : child.kind;
    this.#seen.set(pid, { kind, cpu: child.cpu });
  }

  /** The postmaster and its children, read again when a child was reaped in between. */
  #read(): Reading {
    while (true) {
      const before = processCpu(this.#pid);
      if (!before) {
        throw new Error(`Cannot measure the server's CPU: postmaster ${this.#pid} is gone`);
      }
      const children = new Map<number, { kind: string; cpu: number }>();
      for (const pid of childPids(this.#pid)) {
        const cpu = processCpu(pid);
        if (cpu) children.set(pid, { kind: processKind(commandLine(pid)), cpu: cpu.own });
      }
      const after = processCpu(this.#pid);
      if (after && after.reaped === before.reaped) {
        return { postmaster: after.own, reaped: after.reaped, children };
      }
    }
  }
}

const KINDS: readonly [RegExp, string][] = [
  [/^postgres: walsender /, "walsender"],
  [/^postgres: logical replication parallel apply worker/, "parallel apply worker"],
  [/^postgres: logical replication apply worker/, "apply worker"],
  [/^postgres: logical replication tablesync worker/, "tablesync worker"],
  [/^postgres: parallel worker/, "parallel worker"],
  [/^postgres: autovacuum worker/, "autovacuum"],
  [/^postgres: io worker/, "io worker"],
  [
    /^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|walsummarizer|archiver|stats)/,
    "background",
  ],
  [/^postgres: /, "client backend"],
];

/** The kind of a PostgreSQL child process, from the title it shows in its command line. */
export function processKind(title: string): string {
  for (const [pattern, kind] of KINDS) if (pattern.test(title)) return kind;
  // A zombie has no command line; a child just forked still shows the postmaster's.
  return title === "" ? "exited" : "starting";
}
