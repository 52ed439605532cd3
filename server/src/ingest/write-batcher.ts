import type { Database } from '../db/database.js';
import type { Step, StepsResult } from '../db/steps.js';
import type { FleetEvent, TelemetrySample } from '@fleetline/protocol';
import { isDataError } from '../db/dialect.js';
import { AppError } from '../domain/errors.js';
import { StoredSeqs } from './stored-seqs.js';
import { TransactionsInDoubt } from './transactions-in-doubt.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import type { LiveState } from '../live/live-state.js';
import type { EventRepository } from '../repositories/events.js';
import { emptySampleRows, sampleKey } from '../repositories/telemetry.js';
import type { SampleRows, TelemetryRepository } from '../repositories/telemetry.js';
import type { VehicleStateRepository } from '../repositories/vehicle-states.js';
import type { VehicleRepository } from '../repositories/vehicles.js';

export interface DeviceRef {
  deviceId: number;
  vehicleId: number;
}

export interface WriteResult {
  stored: number;
  duplicates: number;
  /** Highest sequence number ever stored for the device. */
  highestStoredSeq: number;
  /** Samples the database refused for what they carry: they can never be stored. */
  refused: number[];
}

/** Told what was committed, after the commit. */
export interface CommitListener {
  vehiclesChanged(vehicleIds: readonly number[]): void;
  eventsStored(events: readonly FleetEvent[]): void;
}

/** A sample of this tick, with the submission that may store it. */
interface Candidate {
  submission: Submission;
  sample: TelemetrySample;
  /** Found already stored: not written, counted as a duplicate. */
  excluded: boolean;
}

/** Called once per submission: with an error (nothing stored, resend later) or the result. */
export type SubmitCallback = (err: Error | undefined, result?: WriteResult) => void;

interface Submission {
  device: DeviceRef;
  samples: TelemetrySample[];
  done: SubmitCallback;
}

export interface WriteBatcherOptions {
  flushMs: number;
  maxPendingSamples: number;
  overspeedMinMs: number;
  offlineAfterMs: number;
  /**
   * EVENT_RETENTION_DAYS in ms, or null. An event derived from an old sample
   * (a late backlog) carries the sample's time; one already past the event
   * retention is not stored, since the next sweep would delete it.
   */
  eventRetentionMs?: number | null;
}

export interface WriteBatcherDeps {
  db: Pick<Database, 'runSteps'>;
  telemetry: TelemetryRepository;
  vehicleStates: VehicleStateRepository;
  vehicles: Pick<VehicleRepository, 'existingStatement'>;
  events: EventRepository;
  live: LiveState;
  listener: CommitListener;
  clock: Clock;
  logger: Logger;
}

/** Flush early when this many samples wait, rather than waiting out the tick. */
const EAGER_FLUSH_SAMPLES = 5000;

/**
 * Refusals under overload come in storms: one shared error, built once,
 * keeps each refusal cheap when the server can least afford the work.
 */
const OVERLOADED = new AppError('unavailable', 'the server is overloaded; retry later');
const NONE_REFUSED: ReadonlySet<Candidate> = new Set();
const STORE_FAILED = new AppError('unavailable', 'the samples could not be stored; retry later');

/**
 * The single writer of telemetry. Batches from every device are gathered for
 * one tick and written in one transaction: samples (duplicates skipped),
 * derived events and the latest vehicle state. Devices are answered, the
 * live state updated and consoles told only after the commit, which is on
 * disk when it returns (synchronous=FULL on SQLite, synchronous_commit on
 * PostgreSQL): an acknowledged sample survives a crash or a power cut, and a
 * pushed update is never undone.
 */
export class WriteBatcher {
  private pending: Submission[] = [];
  private pendingSamples = 0;
  private sweepRequested = false;
  private timer: NodeJS.Timeout | undefined;
  /** The tick in its critical section (planning, transaction); one at a time. */
  private flushing: Promise<void> | undefined;
  /** Every tick not yet done answering; a committed tick may overlap the next. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly storedSeqs = new StoredSeqs();
  private stopped = false;
  private storedTotal = 0;
  /** When the oldest pending submission arrived. */
  private pendingSince = 0;
  /** Transactions whose outcome is unknown, settled before the next tick plans anything. */
  private readonly doubt: TransactionsInDoubt;

  constructor(
    private readonly deps: WriteBatcherDeps,
    private readonly options: WriteBatcherOptions,
  ) {
    this.doubt = new TransactionsInDoubt(deps);
  }

  /** Seeds a device's stored high-water mark (from the database, at authentication). */
  noteDevice(deviceId: number, highestSeq: number): void {
    this.storedSeqs.seed(deviceId, highestSeq);
  }

  /** Seeds the newest stored event id (from the database, at start). */
  noteLatestEventId(id: number): void {
    this.doubt.noteEvents([{ id }]);
  }

  /** Samples stored since start. */
  get storedSamples(): number {
    return this.storedTotal;
  }

  /** Samples accepted and waiting for their transaction. */
  get waitingSamples(): number {
    return this.pendingSamples;
  }

  highestStoredSeq(deviceId: number): number {
    return this.storedSeqs.highest(deviceId);
  }

  /**
   * Queues samples for the next tick: `done` is called once they are
   * committed, or refused. A callback rather than a promise: at thousands of
   * batches a second a promise chain per batch is garbage that outlives the
   * young generation while its tick is in flight.
   */
  enqueue(device: DeviceRef, samples: TelemetrySample[], done: SubmitCallback): void {
    if (this.stopped) {
      done(new AppError('shutting-down'));
      return;
    }
    if (this.pendingSamples + samples.length > this.options.maxPendingSamples) {
      // The database is not keeping up: refuse rather than grow without bound.
      // The device keeps the samples and retries after a back-off.
      done(OVERLOADED);
      return;
    }
    if (this.pending.length === 0) this.pendingSince = performance.now();
    this.pending.push({ device, samples, done });
    this.pendingSamples += samples.length;
    // Under heavy socket traffic libuv runs timers only between long poll
    // phases, so the tick timer alone would fire late: a submission that
    // finds the tick overdue starts it itself.
    const overdue = performance.now() - this.pendingSince >= this.options.flushMs;
    this.schedule(overdue || this.pendingSamples >= EAGER_FLUSH_SAMPLES);
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
    await Promise.all(this.inFlight);
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
    if (this.flushing) return this.flushing;
    const tick: Promise<void> = this.write().finally(() => {
      if (this.flushing === tick) this.flushing = undefined;
      this.inFlight.delete(tick);
      this.continueIfPending();
    });
    this.flushing = tick;
    this.inFlight.add(tick);
    return tick;
  }

  /**
   * Ends a tick's critical section (planning and the transaction) and starts
   * the next tick at once, so the database works on it while this one is
   * still answering its devices.
   */
  private releaseTick(): void {
    this.flushing = undefined;
    this.continueIfPending();
  }

  private continueIfPending(): void {
    if (!this.stopped && !this.flushing && (this.pending.length > 0 || this.sweepRequested)) {
      const overdue = performance.now() - this.pendingSince >= this.options.flushMs;
      this.schedule(overdue || this.pendingSamples >= EAGER_FLUSH_SAMPLES);
    }
  }

  private async write(): Promise<void> {
    // Everything pending goes into this tick: ticks pay a fixed cost in event
    // loop turns, so under load fewer, larger ticks keep up where a bounded
    // tick size would fall behind.
    const batch = this.pending;
    this.pending = [];
    this.pendingSamples = 0;
    const sweep = this.sweepRequested;
    this.sweepRequested = false;
    if (batch.length === 0 && !sweep) return;

    const started = performance.now();
    const candidates = candidatesOf(batch);
    let outcome: { vehicles: number[]; events: FleetEvent[] };
    try {
      await this.doubt.settle();
      const { vehicles, events, attempts, dbMs } = await this.commitTick(candidates, sweep);
      this.releaseTick();
      const stored = this.settleAll(batch, candidates, NONE_REFUSED);
      this.deps.logger.debug(
        {
          submissions: batch.length,
          samples: candidates.length,
          stored,
          events: events.length,
          attempts,
          ms: Math.round(performance.now() - started),
          ...(dbMs !== undefined ? { dbMs: Math.round(dbMs) } : {}),
        },
        'ingest tick committed',
      );
      outcome = { vehicles, events };
    } catch (err) {
      if (!isDataError(err)) {
        this.failTick(batch, sweep, err, candidates.length);
        return;
      }
      // Something in the tick cannot be stored. Find it, so that it alone is
      // refused and every other sample of the tick is stored.
      outcome = await this.isolate(batch, sweep, err);
      this.releaseTick();
    }
    if (outcome.vehicles.length > 0) this.deps.listener.vehiclesChanged(outcome.vehicles);
    if (outcome.events.length > 0) this.deps.listener.eventsStored(outcome.events);
  }

  /**
   * Answers submissions once their candidates are committed: how many were
   * stored, stored before, or refused. Returns how many were stored.
   */
  private settleAll(
    submissions: readonly Submission[],
    candidates: readonly Candidate[],
    refused: ReadonlySet<Candidate>,
  ): number {
    const storedBy = new Map<Submission, number>();
    const refusedBy = new Map<Submission, number[]>();
    let storedCount = 0;
    for (const c of candidates) {
      if (refused.has(c)) {
        let seqs = refusedBy.get(c.submission);
        if (!seqs) refusedBy.set(c.submission, (seqs = []));
        seqs.push(c.sample.seq);
      } else if (!c.excluded) {
        storedBy.set(c.submission, (storedBy.get(c.submission) ?? 0) + 1);
        storedCount++;
      }
    }
    this.storedTotal += storedCount;
    for (const submission of submissions) {
      const stored = storedBy.get(submission) ?? 0;
      const refusedSeqs = refusedBy.get(submission) ?? [];
      this.answer(submission, undefined, {
        stored,
        duplicates: submission.samples.length - stored - refusedSeqs.length,
        highestStoredSeq: this.highestStoredSeq(submission.device.deviceId),
        refused: refusedSeqs,
      });
    }
    return storedCount;
  }

  /** Calls a submission's callback; one that throws must not leave the others of its tick unanswered. */
  private answer(submission: Submission, err: Error | undefined, result?: WriteResult): void {
    try {
      submission.done(err, result);
    } catch (thrown) {
      this.deps.logger.error(
        { err: thrown, deviceId: submission.device.deviceId },
        'answering a telemetry submission failed',
      );
    }
  }

  /** The database is unavailable: every submission is refused, to be resent by its device. */
  private failTick(batch: Submission[], sweep: boolean, err: unknown, samples: number): void {
    this.deps.logger.error(
      { err, submissions: batch.length, samples },
      'ingest tick failed; devices will retry',
    );
    // A failed sweep is not asked for again here: retried at once, it would
    // spin while the database is away. The periodic request brings it back.
    if (sweep) this.deps.logger.warn('offline sweep skipped; the next one retries');
    for (const submission of batch) this.answer(submission, STORE_FAILED);
  }

  /**
   * A tick the database refused for its data: commits each submission on its
   * own, and within a refused submission each sample on its own, so that only
   * the samples that cannot be stored are refused. Slow, one transaction per
   * piece, but only ever taken for a tick that could not be stored at all.
   */
  private async isolate(
    batch: Submission[],
    sweep: boolean,
    cause: unknown,
  ): Promise<{ vehicles: number[]; events: FleetEvent[] }> {
    const { logger } = this.deps;
    logger.warn(
      { err: cause, submissions: batch.length },
      'the database refused an ingest tick for its data; storing its submissions one by one',
    );
    const vehicles = new Set<number>();
    const events: FleetEvent[] = [];
    const commit = async (
      candidates: Candidate[],
      withSweep: boolean | ReadonlySet<number>,
      derive: Derive = 'all',
    ) => {
      const result = await this.commitTick(candidates, withSweep, derive);
      for (const v of result.vehicles) vehicles.add(v);
      events.push(...result.events);
    };
    let settled = 0;
    try {
      for (const submission of batch) {
        const own = candidatesOf([submission]);
        this.settleAll([submission], own, await this.storeAlone(submission, own, commit));
        settled++;
      }
    } catch (err) {
      // Not the data this time: the database went away. What is left is resent.
      logger.error({ err }, 'ingest tick failed; devices will retry');
      for (const submission of batch.slice(settled)) this.answer(submission, STORE_FAILED);
      return { vehicles: [...vehicles], events };
    }
    if (sweep) {
      try {
        await commit([], true);
      } catch (err) {
        if (isDataError(err)) await this.sweepOneByOne(commit);
        else logger.error({ err }, 'offline sweep failed; the next one retries');
      }
    }
    return { vehicles: [...vehicles], events };
  }

  /**
   * Commits one submission on its own; if the database refuses it for its
   * data, each of its samples on its own. Returns the samples refused. Any
   * other failure (the database is away) is thrown.
   */
  private async storeAlone(
    submission: Submission,
    own: Candidate[],
    commit: (candidates: Candidate[], sweep: false, derive?: Derive) => Promise<void>,
  ): Promise<Set<Candidate>> {
    const refused = new Set<Candidate>();
    try {
      await commit(own, false);
      return refused;
    } catch (err) {
      if (!isDataError(err)) throw err;
    }
    for (const candidate of own) {
      if (candidate.excluded) continue;
      const where = {
        deviceId: submission.device.deviceId,
        seq: candidate.sample.seq,
        kind: candidate.sample.kind,
      };
      // The refusal may come from what the sample derives, not from the
      // sample: an events table out of step, a vehicle deleted under its
      // device. A refused sample is deleted by its device, so it is stored
      // with less and less of what it derives rather than refused: the
      // telemetry is the record, what it derives is not worth losing it.
      let failure: unknown;
      for (const derive of DERIVE_LEVELS) {
        try {
          await commit([candidate], false, derive);
          failure = undefined;
          if (derive !== 'all')
            this.deps.logger.error(
              { ...where, stored: derive === 'state' ? 'without its events' : 'alone' },
              'a sample was stored without what it derives, which the database refused',
            );
          break;
        } catch (err) {
          if (!isDataError(err) && !(err instanceof VehicleGone)) throw err;
          failure = err;
        }
      }
      if (failure === undefined) continue;
      refused.add(candidate);
      candidate.excluded = true;
      this.deps.logger.error(
        { err: failure, ...where },
        'the database refused a sample; it is refused to its device',
      );
    }
    return refused;
  }

  /**
   * A sweep the database refused: each vehicle's offline change on its own,
   * and if refused again, without its event. A vehicle whose state the
   * database refuses even so (deleted under its connected device) is dropped
   * from the live picture, so that it stops failing every sweep and every
   * other vehicle still goes offline on time.
   */
  private async sweepOneByOne(
    commit: (candidates: Candidate[], sweep: ReadonlySet<number>, derive?: Derive) => Promise<void>,
  ): Promise<void> {
    const { live, logger, clock } = this.deps;
    const plan = live.plan(new Map(), {
      now: clock.now(),
      overspeedMinMs: this.options.overspeedMinMs,
      offlineAfterMs: this.options.offlineAfterMs,
    });
    for (const { vehicleId } of plan.changes) {
      try {
        await commit([], new Set([vehicleId]));
        continue;
      } catch (err) {
        if (!isDataError(err)) {
          logger.error({ err }, 'offline sweep failed; the next one retries');
          return;
        }
      }
      try {
        await commit([], new Set([vehicleId]), 'state');
        logger.error(
          { vehicleId },
          'a vehicle went offline without its event, which the database refused',
        );
        continue;
      } catch (err) {
        if (!isDataError(err)) {
          logger.error({ err }, 'offline sweep failed; the next one retries');
          return;
        }
        live.forget(vehicleId);
        logger.warn(
          { err, vehicleId },
          "the database refused a vehicle's state (deleted?); it is dropped from the live picture",
        );
      }
    }
  }

  /**
   * Writes one tick in one transaction, planning optimistically: every
   * candidate sample is taken to be new, and the plan (events, vehicle state)
   * made from all of them. If the database finds some already stored (a
   * replayed batch), the transaction rolls back, those candidates are marked
   * excluded, and the tick is planned again without them. Only this writer
   * stores samples, so the second attempt cannot find more. One round trip
   * per tick in the usual case.
   */
  private async commitTick(
    candidates: Candidate[],
    /** Take silent vehicles offline: all of them, or only these. */
    sweep: boolean | ReadonlySet<number>,
    /** What is stored beside the samples (see Derive). */
    derive: Derive = 'all',
  ): Promise<{
    vehicles: number[];
    events: FleetEvent[];
    attempts: number;
    dbMs: number | undefined;
  }> {
    const { telemetry, vehicleStates, vehicles, events, live, clock } = this.deps;
    const now = clock.now();
    // A number at or below its device's high-water mark may be stored already,
    // and under another kind, which no table's key would catch. Usually this
    // process knows (a batch resent after a refusal); older numbers, or ones
    // stored before it started, are looked up. New samples pay nothing.
    const unknown: Candidate[] = [];
    for (const c of candidates) {
      if (c.excluded) continue;
      const knowledge = this.storedSeqs.lookup(c.submission.device.deviceId, c.sample.seq);
      if (knowledge === 'stored') c.excluded = true;
      else if (knowledge === 'unknown') unknown.push(c);
    }
    if (unknown.length > 0) {
      const stored = await telemetry.storedKeys(
        unknown.map((c) => ({ deviceId: c.submission.device.deviceId, seq: c.sample.seq })),
      );
      for (const c of unknown) {
        if (!stored.has(sampleKey(c.submission.device.deviceId, c.sample.seq))) continue;
        c.excluded = true;
        this.storedSeqs.markStored(c.submission.device.deviceId, c.sample.seq);
      }
    }
    for (let attempt = 1; attempt <= 2; attempt++) {
      const rows = emptySampleRows();
      const byVehicle = new Map<number, TelemetrySample[]>();
      for (const c of candidates) {
        if (c.excluded) continue;
        const { deviceId, vehicleId } = c.submission.device;
        addRow(rows, deviceId, vehicleId, c.sample);
        let list = byVehicle.get(vehicleId);
        if (!list) byVehicle.set(vehicleId, (list = []));
        list.push(c.sample);
      }
      const plan = live.plan(byVehicle, {
        now,
        overspeedMinMs: this.options.overspeedMinMs,
        ...(sweep ? { offlineAfterMs: this.options.offlineAfterMs } : {}),
        ...(sweep instanceof Set ? { offlineOnly: sweep } : {}),
      });
      const samples = telemetry.insertStatements(rows, now);
      const retainedMs = this.options.eventRetentionMs ?? null;
      const newEvents =
        derive !== 'all'
          ? []
          : retainedMs === null
            ? plan.events
            : plan.events.filter((e) => e.t >= now - retainedMs);
      const written = derive !== 'none' ? plan.changes.map((change) => change.vehicleId) : [];
      const result = await this.runSteps(written, [
        { statements: samples.statements, expectRows: samples.count },
        derive !== 'none'
          ? { statements: events.insertStatements(newEvents, now) }
          : // Alone, samples are stored only for a vehicle that still exists.
            {
              statements:
                byVehicle.size > 0 ? [vehicles.existingStatement([...byVehicle.keys()])] : [],
              expectRows: byVehicle.size,
            },
        {
          statements: derive !== 'none' ? vehicleStates.upsertStatements(plan.changes, now) : [],
        },
      ]);
      if (!result.committed && result.failedStep === 1)
        throw new VehicleGone([...byVehicle.keys()]);
      if (!result.committed) {
        // Some candidates were stored before (a replay): leave them out and plan again.
        const inserted = telemetry.insertedKeys(result.rows);
        for (const c of candidates) {
          const { deviceId } = c.submission.device;
          if (c.excluded || inserted.has(sampleKey(deviceId, c.sample.seq))) continue;
          c.excluded = true;
          this.storedSeqs.markStored(deviceId, c.sample.seq);
        }
        continue;
      }
      const storedEvents = events.stored(newEvents, result.rows[1] ?? [], now);
      this.doubt.noteEvents(storedEvents);
      for (const c of candidates)
        if (!c.excluded) this.storedSeqs.markStored(c.submission.device.deviceId, c.sample.seq);
      return {
        vehicles: derive !== 'none' ? live.commit(plan) : [],
        events: storedEvents,
        attempts: attempt,
        dbMs: result.dbMs,
      };
    }
    throw new Error('samples were found stored twice in a row; only this writer stores samples');
  }

  /**
   * Runs a tick's transaction. One that fails other than for its data may
   * have committed all the same (the connection died after COMMIT went
   * out): the vehicles it wrote are in doubt until the next tick settles it.
   */
  private async runSteps(vehicleIds: readonly number[], steps: Step[]): Promise<StepsResult> {
    try {
      return await this.deps.db.runSteps(steps);
    } catch (err) {
      if (!isDataError(err)) this.doubt.mark(vehicleIds);
      throw err;
    }
  }
}

/**
 * What a tick stores beside its samples: the events and the vehicle states
 * they derive ('all'); the states only ('state'); nothing, the samples
 * alone, and only for vehicles that still exist ('none'). Anything but 'all'
 * is a fallback for rows the database refuses.
 */
type Derive = 'all' | 'state' | 'none';
const DERIVE_LEVELS: readonly Derive[] = ['all', 'state', 'none'];

/**
 * Samples stored alone found a vehicle deleted under its device. Counted as
 * a refusal for the data: the samples have no vehicle to be stored for.
 */
class VehicleGone extends Error {
  readonly code = 'VEHICLE_GONE';
  constructor(vehicleIds: readonly number[]) {
    super(`vehicle ${vehicleIds.join(', ')} no longer exists`);
  }
}

/**
 * The samples of some submissions that may be stored: the first submission
 * of a (device, seq) is the one that may store it; a later copy is a duplicate.
 */
function candidatesOf(batch: readonly Submission[]): Candidate[] {
  const seen = new Map<number, Set<number>>();
  const candidates: Candidate[] = [];
  for (const submission of batch) {
    const { deviceId } = submission.device;
    let seqs = seen.get(deviceId);
    if (!seqs) seen.set(deviceId, (seqs = new Set()));
    for (const sample of submission.samples) {
      if (seqs.has(sample.seq)) continue;
      seqs.add(sample.seq);
      candidates.push({ submission, sample, excluded: false });
    }
  }
  return candidates;
}

function addRow(
  rows: SampleRows,
  deviceId: number,
  vehicleId: number,
  sample: TelemetrySample,
): void {
  switch (sample.kind) {
    case 'position':
      rows.positions.push({ deviceId, vehicleId, sample });
      break;
    case 'reading':
      rows.readings.push({ deviceId, vehicleId, sample });
      break;
    case 'dtc':
      rows.dtcs.push({ deviceId, vehicleId, sample });
      break;
    case 'status':
      rows.statuses.push({ deviceId, vehicleId, sample });
      break;
    case 'driving':
      rows.driving.push({ deviceId, vehicleId, sample });
      break;
  }
}
