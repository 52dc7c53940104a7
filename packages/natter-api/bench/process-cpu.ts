/**
 * CPU time of processes from /proc (Linux): the API processes by pid, PostgreSQL as its postmaster
 * and every process it started (backends, WAL writer, checkpointer…). Elsewhere it reports nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** User + system CPU seconds of one process, or undefined when it is gone (or there is no /proc). */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** The process and its children, by pid. */
export function processTree(pid: number): number[] {
  let children: string;
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return [pid];
  }
  return [pid, ...children.split(/\s+/).filter((entry) => entry !== '').map(Number)];
}

/** CPU seconds per pid at one moment. */
export type CpuSnapshot = ReadonlyMap<number, number>;

export function snapshot(pids: readonly number[]): CpuSnapshot {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const value = cpuSeconds(pid);
    if (value !== undefined) seconds.set(pid, value);
  }
  return seconds;
}

/** CPU seconds spent between two snapshots (a process born in between counts from zero). */
export function spent(before: CpuSnapshot, after: CpuSnapshot): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}
