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
});
