import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '@fleetline/protocol';
import { describeEvent } from './event-text';

const overspeed = (speedKmh: number, limitKmh: number): FleetEvent => ({
  id: 1,
  vehicleId: 1,
  type: 'overspeed',
  t: 0,
  recordedAt: 0,
  late: false,
  data: { speedKmh, limitKmh, lat: 52.5, lon: 13.4 },
});

describe('event text', () => {
  it('says an overspeed in whole km/h', () => {
    expect(describeEvent(overspeed(67.4, 50)).detail).toBe('67 km/h where the limit is 50 km/h');
  });

  it('shows a decimal when whole km/h would make speed and limit look equal', () => {
    expect(describeEvent(overspeed(50.4, 50)).detail).toBe('50.4 km/h where the limit is 50 km/h');
    expect(describeEvent(overspeed(49.6, 49.5)).detail).toBe(
      '49.6 km/h where the limit is 49.5 km/h',
    );
  });

  const online = (previousSeenAt?: number | null): FleetEvent => ({
    id: 2,
    vehicleId: 1,
    type: 'device_online',
    t: 10_000_000,
    recordedAt: 10_000_000,
    late: false,
    data: previousSeenAt === undefined ? {} : { previousSeenAt },
  });

  it("tells a vehicle's first report from its return, and says how long it was silent", () => {
    expect(describeEvent(online(null)).detail).toBe('First report from this vehicle');
    expect(describeEvent(online(10_000_000 - 45_000)).detail).toBe(
      'Reporting again after 45 s of silence',
    );
    expect(describeEvent(online(10_000_000 - 12 * 60_000)).detail).toBe(
      'Reporting again after 12 min of silence',
    );
    expect(describeEvent(online(10_000_000 - 200 * 60_000)).detail).toBe(
      'Reporting again after 3 h 20 min of silence',
    );
    // Stored before the field existed: nothing to say about the silence.
    expect(describeEvent(online()).detail).toBe('Reporting again');
  });
});
