/** Peak memory of a benchmarked process, as the kernel counts it. */

/** The process's peak resident set (VmHWM) in kB, where the kernel tells it (Linux). */
export function peakResidentKb(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
