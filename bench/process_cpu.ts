/** CPU time of benchmarked processes, as the kernel counts it (Linux `/proc/<pid>/stat`). */

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** A process's CPU so far, in seconds: its own (every thread's) and its reaped children's. */
export interface ProcessCpu {
  /** Parent process id. */
  ppid: number;
  /** User + system time of the process, all its threads included. */
  own: number;
  /** User + system time of the children it has waited for (`cutime` + `cstime`). */
  reaped: number;
}

/** The CPU of `pid` so far, or null when it is gone. */
export function processCpu(pid: number | "self"): ProcessCpu | null {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // Fields after the command name, which may hold spaces: ppid is the 4th field, utime, stime,
  // cutime and cstime the 14th to 17th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return {
    ppid: fields[1]!,
    own: (fields[11]! + fields[12]!) / TICKS_PER_SECOND,
    reaped: (fields[13]! + fields[14]!) / TICKS_PER_SECOND,
  };
}

/** The command line of `pid`, arguments joined by spaces; empty when it is gone. */
export function commandLine(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** The ids of `pid`'s live children (`/proc/<pid>/task/<pid>/children`). */
export function childPids(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds of the children this process has waited for so far: a child process that the
 * benchmark spawned and awaited is counted whole, all its threads and its last moments included.
 */
export function reapedChildrenCpu(): number {
  return processCpu("self")!.reaped;
}
