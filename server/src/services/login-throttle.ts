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

  /**
   * Starts an attempt: counts it as failed until succeed() says otherwise,
   * so parallel guesses cannot all pass the check before any is counted.
   * Returns the milliseconds until an attempt is allowed (nothing counted),
   * or 0 when this one may go ahead.
   */
  begin(email: string, now: number): number {
    const recent = this.recent(email, now);
    if (recent.length >= this.maxFailures) return recent[0]! + this.windowMs - now;
    recent.push(now);
    this.failures.set(email, recent);
    if (this.failures.size > 100_000) this.prune(now);
    return 0;
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
