import { describe, expect, it } from 'vitest';
import { vehicleSnapshot } from '../testing/fixtures';
import type { VehicleRecord } from './fleet-store';
import { filterVehicles, matchesFilter } from './vehicle-filter';
import { classifyVehicle } from './vehicle-state';
import type { VehicleState } from './vehicle-state';

const record = (id: number, extra: Partial<VehicleRecord> = {}): VehicleRecord => {
  const v = vehicleSnapshot({ id, ...extra });
  return { ...v, state: classifyVehicle(v), ...extra };
};
const filter = (text: string, states: VehicleState[] = []) => ({ text, states: new Set(states) });

describe('vehicle state', () => {
  it('classifies: offline first, then alarm (overspeed, confirmed codes), then moving or idle', () => {
    const base = vehicleSnapshot({ id: 1 });
    expect(classifyVehicle({ ...base, online: false, overspeed: true })).toBe('offline');
    expect(classifyVehicle({ ...base, overspeed: true })).toBe('alarm');
    expect(classifyVehicle({ ...base, dtcs: [{ kind: 'stored', t: 1, codes: ['P0301'] }] })).toBe(
      'alarm',
    );
    expect(classifyVehicle({ ...base, dtcs: [{ kind: 'pending', t: 1, codes: ['P0301'] }] })).toBe(
      'moving',
    );
    expect(classifyVehicle({ ...base, dtcs: [{ kind: 'stored', t: 1, codes: [] }] })).toBe(
      'moving',
    );
    expect(classifyVehicle({ ...base, position: { ...base.position!, speedKmh: 2 } })).toBe('idle');
    expect(classifyVehicle({ ...base, position: null })).toBe('idle');
  });
});

describe('vehicle search and filter', () => {
  const vans = [
    record(1, {
      name: 'Van 12',
      plate: 'B-FL 12',
      vin: 'WVWZZZ1JZ3W386752',
      driver: { id: 7, name: 'Jörg Müller' },
    }),
    record(2, { name: 'Truck 3', plate: 'M-XY 300', online: false }),
    record(3, { name: 'Van 2', plate: null }),
  ];

  it('matches name, plate (with or without spaces and dashes), VIN and driver, accent-insensitive, every word', () => {
    expect(matchesFilter(vans[0]!, filter('muller'))).toBe(true);
    expect(matchesFilter(vans[0]!, filter('jorg van'))).toBe(true);
    expect(matchesFilter(vans[2]!, filter('muller'))).toBe(false);
    expect(matchesFilter(vans[0]!, filter('bfl12'))).toBe(true);
    expect(matchesFilter(vans[0]!, filter('B-FL 12'))).toBe(true);
    expect(matchesFilter(vans[0]!, filter('386752'))).toBe(true);
    expect(matchesFilter(vans[0]!, filter('van truck'))).toBe(false);
    expect(matchesFilter(vans[1]!, filter('  '))).toBe(true);
  });

  it('filters by state and sorts by name with numbers in order', () => {
    expect(filterVehicles(vans, filter('', ['offline'])).map((v) => v.id)).toEqual([2]);
    expect(filterVehicles(vans, filter('van')).map((v) => v.name)).toEqual(['Van 2', 'Van 12']);
    expect(filterVehicles(vans, filter('van', ['offline']))).toEqual([]);
  });
});
