import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Samples a process's CPU and peak RSS between start() and stop(). */
export class ProcessMeter {
  private startCpu = 0;
  private startWall = 0;
  private peakRss = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  start(): void {
    this.startCpu = cpuSeconds(this.pid);
    this.startWall = performance.now();
    this.peakRss = rssMb(this.pid);
    this.timer = setInterval(() => {
      this.peakRss = Math.max(this.peakRss, rssMb(this.pid));
    }, 500);
  }

  stop(): { cpuPct: number; rssMb: number } {
    clearInterval(this.timer);
    const cpu = cpuSeconds(this.pid) - this.startCpu;
    const wall = (performance.now() - this.startWall) / 1000;
    this.peakRss = Math.max(this.peakRss, rssMb(this.pid));
    return { cpuPct: Math.round((cpu / wall) * 1000) / 10, rssMb: Math.round(this.peakRss) };
  }
}
