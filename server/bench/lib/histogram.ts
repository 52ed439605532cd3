/** Latencies in 1 ms bins up to a minute; enough resolution for p50/p99 and cheap to merge. */
export class Histogram {
  readonly bins = new Uint32Array(60_001);
  count = 0;

  record(ms: number): void {
    const bin = Math.min(this.bins.length - 1, Math.max(0, Math.round(ms)));
    this.bins[bin]!++;
    this.count++;
  }

  merge(other: { bins: ArrayLike<number>; count: number }): void {
    for (let i = 0; i < this.bins.length; i++) this.bins[i]! += other.bins[i] ?? 0;
    this.count += other.count;
  }

  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const target = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i]!;
      if (seen >= target) return i;
    }
    return this.bins.length - 1;
  }

  toJSON(): { bins: number[]; count: number } {
    return { bins: Array.from(this.bins), count: this.count };
  }
}
