/**
 * The OBD-II polling plan: each PID has its own period, and the PIDs that
 * are due are packed into as few requests as the vehicle protocol allows
 * (six per request on CAN, one on the older buses). A request with room
 * left is topped up with PIDs that would be due within half their period,
 * which keeps the bus busy with fewer, fuller requests without reading
 * anything at more than its planned rate: a PID's next time is counted from
 * when it was due, not from when it was read.
 *
 * A PID the ECU does not answer inside a packed request (left out of the
 * reply, or the whole request refused) is retried on its own before
 * anything counts against it: ECUs answer a packed request with what they
 * have, and one missing PID says nothing yet. One that fails on its own three
 * times in a row is dropped for the rest of the connection (some ECUs
 * announce PIDs they never answer).
 */

export interface PlannedPid {
  pid: number;
  everyMs: number;
}

interface Entry extends PlannedPid {
  nextAt: number;
  /** Failed inside a packed request: ask on its own next time. */
  solo: boolean;
  soloFailures: number;
}

export interface SchedulerOptions {
  maxPerRequest: number;
  /** A PID due within this share of its period may fill a request early. */
  fillAheadShare?: number;
}

export const SOLO_FAILURES_BEFORE_DROP = 3;

export class PollScheduler {
  readonly #plan: readonly PlannedPid[];
  #entries: Entry[] = [];
  #maxPerRequest: number;
  readonly #fillAheadShare: number;
  readonly #dropped = new Set<number>();
  #unsupported: number[] = [];

  constructor(plan: readonly PlannedPid[], options: SchedulerOptions) {
    this.#plan = plan;
    this.#maxPerRequest = Math.max(1, options.maxPerRequest);
    this.#fillAheadShare = options.fillAheadShare ?? 0.5;
  }

  /**
   * Starts a connection: every planned PID the vehicle supports is due at
   * `now`. Returns the planned PIDs the vehicle does not support.
   */
  reset(now: number, supported: ReadonlySet<number> | null, maxPerRequest?: number): number[] {
    if (maxPerRequest !== undefined) this.#maxPerRequest = Math.max(1, maxPerRequest);
    this.#dropped.clear();
    this.#unsupported = supported
      ? this.#plan.filter((p) => !supported.has(p.pid)).map((p) => p.pid)
      : [];
    this.#entries = this.#plan
      .filter((p) => !supported || supported.has(p.pid))
      .map((p) => ({ ...p, nextAt: now, solo: false, soloFailures: 0 }));
    return [...this.#unsupported];
  }

  get maxPerRequest(): number {
    return this.#maxPerRequest;
  }

  /** PIDs being polled. */
  get active(): number[] {
    return this.#entries.map((e) => e.pid);
  }

  /** PIDs given up on for this connection (announced but never answered). */
  get dropped(): number[] {
    return [...this.#dropped];
  }

  get unsupported(): number[] {
    return [...this.#unsupported];
  }

  /** When the next PID falls due, or null with nothing to poll. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const entry of this.#entries)
      if (next === null || entry.nextAt < next) next = entry.nextAt;
    return next;
  }

  /**
   * The requests to send now: the most overdue PIDs first (relative to their
   * period), packed up to the protocol's limit, topped up with PIDs due soon.
   */
  due(now: number): number[][] {
    const lateness = (e: Entry): number => (now - e.nextAt) / e.everyMs;
    const due = this.#entries
      .filter((e) => e.nextAt <= now)
      .sort((a, b) => lateness(b) - lateness(a));
    if (due.length === 0) return [];
    const requests: number[][] = [];
    const packed: Entry[] = [];
    for (const entry of due) {
      if (entry.solo || this.#maxPerRequest === 1) requests.push([entry.pid]);
      else packed.push(entry);
    }
    const groups: number[][] = [];
    for (let i = 0; i < packed.length; i += this.#maxPerRequest) {
      groups.push(packed.slice(i, i + this.#maxPerRequest).map((e) => e.pid));
    }
    const last = groups.at(-1);
    if (last && last.length < this.#maxPerRequest) {
      const soon = this.#entries
        .filter(
          (e) => !e.solo && e.nextAt > now && e.nextAt - now <= e.everyMs * this.#fillAheadShare,
        )
        .sort((a, b) => a.nextAt - b.nextAt);
      for (const entry of soon) {
        if (last.length >= this.#maxPerRequest) break;
        last.push(entry.pid);
      }
    }
    return [...groups, ...requests];
  }

  /** These PIDs were answered at `at`. */
  markRead(pids: readonly number[], at: number): void {
    for (const pid of pids) {
      const entry = this.#entry(pid);
      if (!entry) continue;
      entry.soloFailures = 0;
      entry.solo = false;
      this.#advance(entry, at);
    }
  }

  /**
   * These PIDs were not answered. `refused` means the ECU said NO DATA, or
   * answered the request without them (it will not answer these); otherwise
   * the failure was the bus's or the adapter's, and says nothing about the
   * PIDs. `packed`: they were asked with other PIDs in one request (by
   * default, when more than one is given); each is then asked alone before
   * a failure counts.
   */
  markFailed(
    pids: readonly number[],
    at: number,
    refused: boolean,
    packed = pids.length > 1,
  ): number[] {
    const dropped: number[] = [];
    for (const pid of pids) {
      const entry = this.#entry(pid);
      if (!entry) continue;
      if (!refused) {
        this.#advance(entry, at);
        continue;
      }
      if (packed) {
        // Ask again on its own, soon, to tell which PID spoiled the request.
        entry.solo = true;
        entry.nextAt = at;
        continue;
      }
      entry.soloFailures += 1;
      if (entry.soloFailures >= SOLO_FAILURES_BEFORE_DROP) {
        this.#entries = this.#entries.filter((e) => e !== entry);
        this.#dropped.add(pid);
        dropped.push(pid);
      } else {
        this.#advance(entry, at);
      }
    }
    return dropped;
  }

  #entry(pid: number): Entry | undefined {
    return this.#entries.find((e) => e.pid === pid);
  }

  #advance(entry: Entry, at: number): void {
    // Keep the cadence of the plan; after a long stall, start again from now
    // rather than firing every missed period at once.
    const next = entry.nextAt + entry.everyMs;
    entry.nextAt = next > at ? next : at + entry.everyMs;
  }
}
