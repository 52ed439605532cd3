import type { Knex } from 'knex';
import type { FleetEvent, TelemetrySample } from '@fleetline/protocol';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import type { LiveState } from '../live/live-state.js';
import type { DeviceProgress, DeviceRepository } from '../repositories/devices.js';
import type { EventRepository } from '../repositories/events.js';
import { sampleKey } from '../repositories/telemetry.js';
import type { SampleRows, TelemetryRepository } from '../repositories/telemetry.js';
import type { VehicleStateRepository } from '../repositories/vehicle-states.js';

export interface DeviceRef {
  deviceId: number;
  vehicleId: number;
}

export interface WriteResult {
  stored: number;
  duplicates: number;
  /** Highest sequence number ever stored for the device. */
  highestStoredSeq: number;
}

/** Told what was committed, after the commit. */
export interface CommitListener {
  vehiclesChanged(vehicleIds: readonly number[]): void;
  eventsStored(events: readonly FleetEvent[]): void;
}

interface Submission {
  device: DeviceRef;
  samples: TelemetrySample[];
  resolve: (result: WriteResult) => void;
  reject: (err: unknown) => void;
}

export interface WriteBatcherOptions {
  flushMs: number;
  maxPendingSamples: number;
  overspeedMinMs: number;
  offlineAfterMs: number;
}

export interface WriteBatcherDeps {
  knex: Knex;
  telemetry: TelemetryRepository;
  vehicleStates: VehicleStateRepository;
  events: EventRepository;
  devices: DeviceRepository;
  live: LiveState;
  listener: CommitListener;
  clock: Clock;
  logger: Logger;
}

/** Flush early when this many samples wait, rather than waiting out the tick. */
const EAGER_FLUSH_SAMPLES = 5000;

/**
 * The single writer of telemetry. Batches from every device are gathered for
 * one tick and written in one transaction: samples (duplicates skipped),
 * derived events, latest vehicle state and device progress. Only after the
 * commit are devices answered, the live state updated and consoles told, so
 * an acknowledged sample is on disk and a pushed update is never undone.
 */
export class WriteBatcher {
  private pending: Submission[] = [];
  private pendingSamples = 0;
  private sweepRequested = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly highestSeq = new Map<number, number>();
  private stopped = false;

  constructor(
    private readonly deps: WriteBatcherDeps,
    private readonly options: WriteBatcherOptions,
  ) {}

  /** Seeds a device's stored high-water mark (from the database, at authentication). */
  noteDevice(deviceId: number, highestSeq: number): void {
    this.highestSeq.set(deviceId, Math.max(this.highestSeq.get(deviceId) ?? 0, highestSeq));
  }

  highestStoredSeq(deviceId: number): number {
    return this.highestSeq.get(deviceId) ?? 0;
  }

  /** Resolves once the samples are committed. */
  submit(device: DeviceRef, samples: TelemetrySample[]): Promise<WriteResult> {
    if (this.stopped) return Promise.reject(new AppError('shutting-down'));
    if (this.pendingSamples + samples.length > this.options.maxPendingSamples) {
      // The database is not keeping up: refuse rather than grow without bound.
      // The device keeps the samples and retries after a back-off.
      return Promise.reject(new AppError('unavailable', 'the server is overloaded; retry later'));
    }
    return new Promise<WriteResult>((resolve, reject) => {
      this.pending.push({ device, samples, resolve, reject });
      this.pendingSamples += samples.length;
      this.schedule(this.pendingSamples >= EAGER_FLUSH_SAMPLES);
    });
  }

  /** Asks the next tick to take silent vehicles offline. */
  requestSweep(): void {
    this.sweepRequested = true;
    this.schedule(false);
  }

  /** Refuses new work, then writes everything already accepted. */
  async drain(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing || this.pending.length > 0 || this.sweepRequested) {
      await (this.flushing ?? this.flush());
    }
  }

  private schedule(now: boolean): void {
    if (this.flushing) return; // the running flush reschedules when done
    if (now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushMs);
  }

  private flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
      if (!this.stopped && (this.pending.length > 0 || this.sweepRequested)) {
        this.schedule(this.pendingSamples >= EAGER_FLUSH_SAMPLES);
      }
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    const sweep = this.sweepRequested;
    this.pending = [];
    this.pendingSamples = 0;
    this.sweepRequested = false;
    if (batch.length === 0 && !sweep) return;

    const { knex, telemetry, vehicleStates, events, devices, live, listener, clock, logger } =
      this.deps;
    const now = clock.now();
    const rows: SampleRows = { positions: [], readings: [], dtcs: [], statuses: [] };
    // The first submission of a (device, seq) in this tick is the one that may store it.
    const owner = new Map<string, Submission>();
    for (const submission of batch) {
      const { deviceId, vehicleId } = submission.device;
      for (const sample of submission.samples) {
        const key = sampleKey(deviceId, sample.seq);
        if (owner.has(key)) continue;
        owner.set(key, submission);
        const located = { deviceId, vehicleId, sample };
        switch (located.sample.kind) {
          case 'position':
            rows.positions.push({ ...located, sample: located.sample });
            break;
          case 'reading':
            rows.readings.push({ ...located, sample: located.sample });
            break;
          case 'dtc':
            rows.dtcs.push({ ...located, sample: located.sample });
            break;
          case 'status':
            rows.statuses.push({ ...located, sample: located.sample });
            break;
        }
      }
    }

    const started = performance.now();
    try {
      const outcome = await knex.transaction(async (trx) => {
        const inserted = await telemetry.insertSamples(trx, rows, now);
        const byVehicle = new Map<number, TelemetrySample[]>();
        const progress = new Map<number, DeviceProgress>();
        for (const submission of batch) {
          const { deviceId, vehicleId } = submission.device;
          let highest = progress.get(deviceId)?.highestSeq ?? 0;
          for (const sample of submission.samples) {
            const key = sampleKey(deviceId, sample.seq);
            if (owner.get(key) !== submission || !inserted.has(key)) continue;
            let list = byVehicle.get(vehicleId);
            if (!list) byVehicle.set(vehicleId, (list = []));
            list.push(sample);
            highest = Math.max(highest, sample.seq);
          }
          progress.set(deviceId, { deviceId, highestSeq: highest, lastSeenAt: now });
        }
        const plan = live.plan(byVehicle, {
          now,
          overspeedMinMs: this.options.overspeedMinMs,
          ...(sweep ? { offlineAfterMs: this.options.offlineAfterMs } : {}),
        });
        const storedEvents = await events.insert(trx, plan.events, now);
        await vehicleStates.upsert(trx, plan.changes, now);
        await devices.recordProgress(trx, [...progress.values()]);
        return { inserted, plan, storedEvents, progress };
      });

      for (const p of outcome.progress.values()) this.noteDevice(p.deviceId, p.highestSeq);
      const changed = live.commit(outcome.plan);
      for (const submission of batch) {
        const { deviceId } = submission.device;
        let stored = 0;
        for (const sample of submission.samples) {
          const key = sampleKey(deviceId, sample.seq);
          if (owner.get(key) === submission && outcome.inserted.has(key)) stored++;
        }
        submission.resolve({
          stored,
          duplicates: submission.samples.length - stored,
          highestStoredSeq: this.highestStoredSeq(deviceId),
        });
      }
      logger.debug(
        {
          submissions: batch.length,
          samples: owner.size,
          stored: outcome.inserted.size,
          events: outcome.storedEvents.length,
          ms: Math.round(performance.now() - started),
        },
        'ingest tick committed',
      );
      if (changed.length > 0) listener.vehiclesChanged(changed);
      if (outcome.storedEvents.length > 0) listener.eventsStored(outcome.storedEvents);
    } catch (err) {
      logger.error(
        { err, submissions: batch.length, samples: owner.size },
        'ingest tick failed; devices will retry',
      );
      if (sweep) this.sweepRequested = true;
      const failure = new AppError('unavailable', 'the samples could not be stored; retry later');
      for (const submission of batch) submission.reject(failure);
    }
  }
}
