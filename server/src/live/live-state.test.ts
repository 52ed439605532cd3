import { describe, expect, it } from 'vitest';
import { LiveState } from './live-state.js';
import { emptyVehicleState } from './vehicle-state.js';

const record = {
  id: 1,
  name: 'V1',
  plate: null,
  vin: null,
  fleetIds: [1],
  overspeedLimitKmh: 90,
  deviceId: 1,
  driver: null,
};

describe('LiveState.restore', () => {
  it('puts back the stored state as changed in every section, keeping the grace given at start', () => {
    const live = new LiveState();
    const stored = {
      ...emptyVehicleState(),
      online: true,
      lastSeenAt: 2000,
      position: {
        t: 2000,
        lat: 1,
        lon: 2,
        speedKmh: null,
        headingDeg: null,
        altitudeM: null,
        hdop: null,
        satellites: null,
        fixQuality: 'gps' as const,
      },
    };
    live.upsertRecords([record], new Map([[1, stored]]));
    // A start after downtime: every online vehicle counts as just seen.
    live.graceAll(50_000);
    const before = live.rev;
    expect(live.restore(1, stored)).toBe(true);
    // The database's lastSeenAt would make it look silent since 2000.
    expect(live.state(1)).toMatchObject({
      online: true,
      lastSeenAt: 50_000,
      position: { t: 2000 },
    });
    expect(live.updateSince(1, before)).toMatchObject({
      online: true,
      position: { t: 2000 },
    });
    expect(live.restore(2, stored)).toBe(false);
  });
});
