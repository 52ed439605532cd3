import type { RetentionConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { SAMPLE_TABLES, TELEMETRY_TABLES } from '../repositories/retention.js';
import type { RetentionRepository, SampleTable } from '../repositories/retention.js';

export interface RetentionSweepOptions {
  /** Rows per delete statement. */
  chunkRows?: number;
  /** Vehicles per delete statement. */
  vehiclesPerChunk?: number;
}

/** Rows deleted per table by one sweep. */
export type RetentionReport = Partial<Record<SampleTable | 'events', number>>;

/**
 * Deletes history past its retention (TELEMETRY_RETENTION_DAYS,
 * EVENT_RETENTION_DAYS): fleets are asked to keep drivers' location data no
 * longer than they need it, and with 10,000 vehicles reporting every second
 * the sample tables would otherwise grow by about a billion rows a day. The current state of
 * each vehicle (vehicle_states) is not history and is never deleted.
 *
 * A sweep works in small chunks and yields between them, so ingest goes on.
 * One runs at a time: a sweep asked for while another runs (a first sweep of
 * a large backlog outlasting the hour) gets the running one's report.
 * `stop()` ends a long sweep early at shutdown. The next sweep starts over;
 * what is already done costs it one index probe per table and vehicle id.
 * Fleet events go first, so a server restarted more often than a long sample
 * sweep takes still gets them swept.
 */
export class RetentionSweeper {
  private readonly chunkRows: number;
  private readonly vehiclesPerChunk: number;
  private stopped = false;
  private running: Promise<RetentionReport> | undefined;

  constructor(
    private readonly repo: RetentionRepository,
    private readonly retention: RetentionConfig,
    private readonly logger: Logger,
    options: RetentionSweepOptions = {},
  ) {
    this.chunkRows = options.chunkRows ?? 2000;
    this.vehiclesPerChunk = options.vehiclesPerChunk ?? 100;
  }

  get enabled(): boolean {
    return this.retention.telemetryMs !== null || this.retention.eventsMs !== null;
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Deletes what has aged out by `now`; returns the rows deleted per table.
   * With `dryRun` it deletes nothing and returns what it would delete.
   */
  sweep(now: number, { dryRun = false }: { dryRun?: boolean } = {}): Promise<RetentionReport> {
    if (dryRun) return this.run(now, true);
    if (this.running) {
      this.logger.debug('retention sweep still running; not starting another');
      return this.running;
    }
    const running = this.run(now, false).finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async run(now: number, dryRun: boolean): Promise<RetentionReport> {
    const started = performance.now();
    const report: RetentionReport = {};
    const { telemetryMs, eventsMs } = this.retention;
    const sampleTables: { table: SampleTable; cutoff: number }[] = [];
    if (telemetryMs !== null)
      for (const table of TELEMETRY_TABLES) sampleTables.push({ table, cutoff: now - telemetryMs });
    if (eventsMs !== null) sampleTables.push({ table: 'driving_events', cutoff: now - eventsMs });
    // Reported in this order, whatever order the work is done in.
    for (const { table } of sampleTables) report[table] = 0;

    if (eventsMs !== null) {
      const cutoff = now - eventsMs;
      report.events = dryRun
        ? await this.repo.countEvents(cutoff)
        : await this.drain(() => this.repo.deleteEvents(cutoff, this.chunkRows));
    }
    if (sampleTables.length > 0) {
      // Every id up to the highest, existing or not: history of a vehicle
      // deleted straight from the database is swept too. An id with no rows
      // costs one index probe.
      const highest = await this.repo.highestVehicleId(sampleTables.map((t) => t.table));
      for (let from = 1; from <= highest && !this.stopped; from += this.vehiclesPerChunk) {
        const ids: number[] = [];
        for (let id = from; id < from + this.vehiclesPerChunk && id <= highest; id++) ids.push(id);
        for (const { table, cutoff } of sampleTables) {
          report[table]! += dryRun
            ? await this.repo.countSamples(table, ids, cutoff)
            : await this.drain(() => this.repo.deleteSamples(table, ids, cutoff, this.chunkRows));
        }
      }
    }
    const total = Object.values(report).reduce((sum, n) => sum + n, 0);
    if (total > 0 && !dryRun)
      this.logger.info(
        { deleted: report, ms: Math.round(performance.now() - started) },
        'retention sweep deleted aged-out history',
      );
    return report;
  }

  /**
   * Erases one vehicle's history taken before `before` (all of it without),
   * whatever the retention: a data subject's request, a vehicle sold. The
   * vehicle's current state is not history and stays. The vehicle need not
   * exist any more: this is also how what a deleted vehicle left is removed.
   */
  async eraseVehicle(
    vehicleId: number,
    before: number = Number.MAX_SAFE_INTEGER,
    { dryRun = false }: { dryRun?: boolean } = {},
  ): Promise<RetentionReport> {
    const report: RetentionReport = {};
    for (const table of SAMPLE_TABLES) {
      report[table] = dryRun
        ? await this.repo.countSamples(table, [vehicleId], before)
        : await this.drain(() =>
            this.repo.deleteSamples(table, [vehicleId], before, this.chunkRows),
          );
    }
    report.events = dryRun
      ? await this.repo.countEvents(before, vehicleId)
      : await this.drain(() => this.repo.deleteEvents(before, this.chunkRows, vehicleId));
    if (!dryRun) this.logger.info({ vehicleId, before, deleted: report }, 'vehicle history erased');
    return report;
  }

  /** Repeats a bounded delete until it comes back short; returns the rows deleted. */
  private async drain(deleteChunk: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await deleteChunk();
      total += deleted;
      if (deleted < this.chunkRows || this.stopped) return total;
      // Let ingest ticks and requests in between two chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
