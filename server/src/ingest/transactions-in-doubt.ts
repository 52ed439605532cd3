import type { FleetEvent } from '@fleetline/protocol';
import type { LiveVehicleState } from '../live/vehicle-state.js';
import type { WriteBatcherDeps } from './write-batcher.js';

/** Events read per query when catching up after a transaction in doubt. */
const EVENT_PAGE = 1000;

/**
 * The ingest writer's transactions whose outcome is unknown: the database
 * went away during one, perhaps after its COMMIT landed. Before the next
 * tick plans anything, the state of the vehicles it wrote is reloaded from
 * the database and the events it stored are pushed: otherwise those events
 * would never reach a console live, and the next samples would raise them a
 * second time. Only the writer stores events, so every event after the
 * newest it knows of comes from such a transaction.
 */
export class TransactionsInDoubt {
  private readonly vehicles = new Set<number>();
  /** The newest event id the writer knows of. */
  private eventsKnownTo: number | undefined;

  constructor(
    private readonly deps: Pick<
      WriteBatcherDeps,
      'db' | 'vehicleStates' | 'events' | 'live' | 'listener' | 'logger'
    >,
  ) {}

  /** Events the writer knows are stored (committed, or seeded at start). */
  noteEvents(events: readonly { id: number }[]): void {
    for (const event of events) this.eventsKnownTo = Math.max(this.eventsKnownTo ?? 0, event.id);
  }

  /** Vehicles written by a transaction whose outcome is unknown. */
  mark(vehicleIds: readonly number[]): void {
    for (const id of vehicleIds) this.vehicles.add(id);
  }

  /**
   * Puts back the state the database holds for the vehicles in doubt, and
   * pushes the events stored after the newest known. Reads through the
   * writer's own transactions: on PostgreSQL they run on the ingest
   * connection, under its deadline, and each first waits for any ingest
   * transaction still open (the one in doubt, on a connection given up) to
   * end. Throws, keeping everything in doubt, if the database is still away.
   */
  async settle(): Promise<void> {
    if (this.vehicles.size === 0) return;
    const { db, vehicleStates, events, live, listener, logger } = this.deps;
    const vehicleIds = [...this.vehicles];
    const missed: FleetEvent[] = [];
    let states: Map<number, LiveVehicleState> | undefined;
    for (;;) {
      const after = missed.at(-1)?.id ?? this.eventsKnownTo;
      const result = await db.runSteps([
        { statements: states ? [] : [vehicleStates.selectStatement(vehicleIds)] },
        { statements: after === undefined ? [] : [events.afterStatement(after, EVENT_PAGE)] },
      ]);
      if (!result.committed) throw new Error('a read-only transaction was rolled back');
      states ??= vehicleStates.statesFromRows(result.rows[0] ?? []);
      const page = events.fromRows(result.rows[1] ?? []);
      missed.push(...page);
      if (page.length < EVENT_PAGE) break;
    }
    this.vehicles.clear();
    // A vehicle with no stored state has none to restore: the transaction in
    // doubt did not store one, and the live state never moved past it.
    const restored = vehicleIds.filter((id) => {
      const state = states.get(id);
      return state !== undefined && live.restore(id, state);
    });
    this.noteEvents(missed);
    logger.warn(
      { vehicles: vehicleIds.length, events: missed.length },
      'a transaction in doubt: vehicle states reloaded from the database, and the events it stored pushed',
    );
    if (restored.length > 0) listener.vehiclesChanged(restored);
    if (missed.length > 0) listener.eventsStored(missed);
  }
}
