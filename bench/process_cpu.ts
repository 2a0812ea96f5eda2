/** CPU time of benchmarked processes, as the kernel counts it (Linux). */

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU seconds of every live process whose command line matches, so far. Processes
 * that have exited are not counted: sample before they end.
 */
export function cpuSeconds(matches: (commandLine: string) => boolean): number {
  let ticks = 0;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const commandLine = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll(
        "\0",
        " ",
      );
      if (!matches(commandLine)) continue;
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // Fields after the command name, which may hold spaces: utime and stime are 14th and 15th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks / TICKS_PER_SECOND;
}
