/**
 * Slows password guessing: after `maxFailures` failed logins for one email
 * within `windowMs`, further attempts are refused until the window passes.
 * In memory, per process: enough for one server; a cluster would share it.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 15 * 60 * 1000,
  ) {}

  /** Milliseconds until another attempt is allowed; 0 when allowed now. */
  retryAfter(email: string, now: number): number {
    const recent = this.recent(email, now);
    if (recent.length < this.maxFailures) return 0;
    return recent[0]! + this.windowMs - now;
  }

  fail(email: string, now: number): void {
    const recent = this.recent(email, now);
    recent.push(now);
    this.failures.set(email, recent);
    if (this.failures.size > 100_000) this.prune(now);
  }

  succeed(email: string): void {
    this.failures.delete(email);
  }

  private recent(email: string, now: number): number[] {
    return (this.failures.get(email) ?? []).filter((t) => now - t < this.windowMs);
  }

  private prune(now: number): void {
    for (const [email, times] of this.failures) {
      if (times.every((t) => now - t >= this.windowMs)) this.failures.delete(email);
    }
  }
}
