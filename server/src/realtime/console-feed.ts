import { bboxContains } from '@fleetline/protocol';
import type {
  Bbox,
  FeedCursor,
  Fleet,
  FleetEvent,
  FleetEventsMessage,
  FleetSnapshotMessage,
  VehicleSnapshot,
  VehicleUpdate,
  VehicleUpdatesMessage,
} from '@fleetline/protocol';
import type { Clock } from '../domain/clock.js';
import type { LiveState } from '../live/live-state.js';

/** How the feed reaches one console; the socket.io gateway implements it. */
export interface FeedTransport {
  /** Unique per console connection. */
  readonly id: string;
  snapshot(message: FleetSnapshotMessage): void;
  vehicles(message: VehicleUpdatesMessage): void;
  events(message: FleetEventsMessage): void;
  /** True while earlier messages still wait to be written: the feed skips a tick and keeps merging. */
  congested(): boolean;
}

export interface FeedScope {
  /** Vehicles the console may see (after any fleet narrowing). */
  vehicleIds: ReadonlySet<number>;
  fleets: Fleet[];
  viewport: Bbox | null;
}

/** One connected console. */
export class FeedSubscriber {
  /** Vehicles changed since the last message to this console. */
  readonly pending = new Set<number>();
  /** With a viewport: vehicles this console was last told are inside it. */
  readonly inView = new Set<number>();
  readonly added = new Set<number>();
  readonly removed = new Set<number>();
  /** Highest revision this console has been sent. */
  sentRev = 0;

  constructor(
    readonly transport: FeedTransport,
    public scope: FeedScope,
  ) {}
}

/**
 * Pushes vehicle changes to consoles. Changes are merged per vehicle and
 * flushed on a fixed tick, so a console gets at most one message per tick
 * however many samples arrived, and a congested console gets one merged
 * message when it has caught up, never a backlog.
 */
export class ConsoleFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  private changed = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;

  constructor(
    private readonly live: LiveState,
    private readonly clock: Clock,
    private readonly flushMs: number,
    /**
     * Sends one message to several consoles. The socket.io gateway encodes it
     * once for all of them; the default sends it to each in turn.
     */
    private readonly broadcast: (
      transports: FeedTransport[],
      message: VehicleUpdatesMessage,
    ) => void = (transports, message) => {
      for (const t of transports) t.vehicles(message);
    },
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.flushMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Adds a console and sends its first snapshot: complete, or, when `resume`
   * is a cursor of this server's current epoch, only what changed since.
   */
  add(transport: FeedTransport, scope: FeedScope, resume?: FeedCursor): FeedSubscriber {
    const subscriber = new FeedSubscriber(transport, scope);
    this.subscribers.add(subscriber);
    if (resume && resume.epoch === this.live.epoch && resume.rev <= this.live.rev) {
      const vehicles = this.visibleSnapshots(subscriber, (v) => v.rev > resume.rev);
      subscriber.sentRev = this.live.rev;
      transport.snapshot({
        cursor: this.cursor(),
        full: false,
        fleets: scope.fleets,
        vehicles,
        vehicleIds: [...scope.vehicleIds].filter((id) => this.live.has(id)),
        serverTime: this.clock.now(),
      });
    } else {
      this.sendFullSnapshot(subscriber);
    }
    return subscriber;
  }

  remove(subscriber: FeedSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** A new subscription (fleets, viewport): a fresh complete snapshot. */
  resubscribe(subscriber: FeedSubscriber, scope: FeedScope): number {
    subscriber.scope = scope;
    subscriber.pending.clear();
    subscriber.added.clear();
    subscriber.removed.clear();
    return this.sendFullSnapshot(subscriber);
  }

  /** The visible set changed under a console (a vehicle joined or left its fleets). */
  rescope(subscriber: FeedSubscriber, vehicleIds: ReadonlySet<number>, fleets: Fleet[]): void {
    const before = subscriber.scope.vehicleIds;
    for (const id of vehicleIds) if (!before.has(id)) subscriber.added.add(id);
    for (const id of before) {
      if (!vehicleIds.has(id)) {
        subscriber.removed.add(id);
        subscriber.inView.delete(id);
      }
    }
    subscriber.scope = { ...subscriber.scope, vehicleIds, fleets };
  }

  vehiclesChanged(vehicleIds: readonly number[]): void {
    for (const id of vehicleIds) this.changed.add(id);
    // Under heavy socket traffic the interval timer fires late (libuv runs
    // timers only between poll phases): a change that finds a flush overdue
    // flushes now.
    if (this.timer && performance.now() - this.lastTick >= this.flushMs) this.tick();
  }

  /** Events go out at once: an alarm should not wait for a tick. */
  eventsStored(events: readonly FleetEvent[]): void {
    for (const subscriber of this.subscribers) {
      const visible = events.filter((e) => subscriber.scope.vehicleIds.has(e.vehicleId));
      if (visible.length > 0) subscriber.transport.events({ events: visible });
    }
  }

  /**
   * One flush: normally driven by the timer, callable directly in tests.
   *
   * Consoles that share a scope object, have no viewport and were last sent
   * the same revision would receive identical messages: those are built once
   * and broadcast, so ten dispatchers on one fleet cost one encode, not ten.
   */
  tick(): void {
    this.lastTick = performance.now();
    const changed = this.changed;
    this.changed = new Set();
    const cursor = this.cursor();
    const groups = new Map<ReadonlySet<number>, Map<number, FeedSubscriber[]>>();
    for (const subscriber of this.subscribers) {
      const { vehicleIds, viewport } = subscriber.scope;
      for (const id of changed) if (vehicleIds.has(id)) subscriber.pending.add(id);
      const idle =
        subscriber.pending.size === 0 &&
        subscriber.added.size === 0 &&
        subscriber.removed.size === 0;
      if (idle || subscriber.transport.congested()) continue;
      if (viewport === null && subscriber.added.size === 0 && subscriber.removed.size === 0) {
        let byRev = groups.get(vehicleIds);
        if (!byRev) groups.set(vehicleIds, (byRev = new Map<number, FeedSubscriber[]>()));
        let group = byRev.get(subscriber.sentRev);
        if (!group) byRev.set(subscriber.sentRev, (group = []));
        group.push(subscriber);
        continue;
      }
      const message = this.buildUpdate(subscriber, cursor);
      subscriber.sentRev = cursor.rev;
      if (message.updates.length > 0 || message.added || message.removed)
        subscriber.transport.vehicles(message);
    }
    for (const byRev of groups.values()) {
      for (const group of byRev.values()) {
        const [first, ...rest] = group as [FeedSubscriber, ...FeedSubscriber[]];
        // Same scope and same revision: the same pending set, hence the same message.
        const message = this.buildUpdate(first, cursor);
        for (const subscriber of group) {
          subscriber.pending.clear();
          subscriber.sentRev = cursor.rev;
        }
        if (message.updates.length === 0) continue;
        if (rest.length === 0) first.transport.vehicles(message);
        else
          this.broadcast(
            group.map((s) => s.transport),
            message,
          );
      }
    }
  }

  private buildUpdate(subscriber: FeedSubscriber, cursor: FeedCursor): VehicleUpdatesMessage {
    const { viewport } = subscriber.scope;
    const updates: VehicleUpdate[] = [];
    const added: VehicleSnapshot[] = [];
    for (const id of subscriber.added) {
      subscriber.pending.delete(id);
      if (viewport && !this.inside(id, viewport)) continue;
      const snapshot = this.live.snapshot(id);
      if (!snapshot) continue;
      added.push(snapshot);
      if (viewport) subscriber.inView.add(id);
    }
    for (const id of subscriber.pending) {
      if (viewport) {
        const inside = this.inside(id, viewport);
        const wasInside = subscriber.inView.has(id);
        if (inside && !wasInside) {
          // Entering the viewport: the console may never have had this vehicle.
          const snapshot = this.live.snapshot(id);
          if (snapshot) added.push(snapshot);
          subscriber.inView.add(id);
          continue;
        }
        if (!inside && !wasInside) continue;
        // Leaving: one last update, so the console sees it go.
        if (!inside) subscriber.inView.delete(id);
      }
      const update = this.live.updateSince(id, subscriber.sentRev);
      if (update) updates.push(update);
    }
    const removed = [...subscriber.removed];
    subscriber.pending.clear();
    subscriber.added.clear();
    subscriber.removed.clear();
    return {
      cursor,
      updates,
      ...(added.length > 0 ? { added } : {}),
      ...(removed.length > 0 ? { removed } : {}),
    };
  }

  private sendFullSnapshot(subscriber: FeedSubscriber): number {
    const { viewport } = subscriber.scope;
    subscriber.inView.clear();
    const vehicles = this.visibleSnapshots(subscriber, () => true);
    if (viewport) for (const v of vehicles) subscriber.inView.add(v.id);
    subscriber.sentRev = this.live.rev;
    subscriber.transport.snapshot({
      cursor: this.cursor(),
      full: true,
      fleets: subscriber.scope.fleets,
      vehicles,
      serverTime: this.clock.now(),
    });
    return vehicles.length;
  }

  private visibleSnapshots(
    subscriber: FeedSubscriber,
    include: (v: VehicleSnapshot) => boolean,
  ): VehicleSnapshot[] {
    const { vehicleIds, viewport } = subscriber.scope;
    const vehicles: VehicleSnapshot[] = [];
    for (const id of vehicleIds) {
      if (viewport && !this.inside(id, viewport)) continue;
      const snapshot = this.live.snapshot(id);
      if (snapshot && include(snapshot)) vehicles.push(snapshot);
    }
    return vehicles.sort((a, b) => a.id - b.id);
  }

  private inside(vehicleId: number, viewport: Bbox): boolean {
    const position = this.live.state(vehicleId)?.position;
    return position != null && bboxContains(viewport, position.lat, position.lon);
  }

  private cursor(): FeedCursor {
    return { epoch: this.live.epoch, rev: this.live.rev };
  }
}
