import { describe, expect, it } from 'vitest';
import { vehicleSnapshot } from '../testing/fixtures';
import type { VehicleRecord } from './fleet-store';
import { filterVehicles, matchesFilter, motionChip } from './vehicle-filter';
import { classifyVehicle } from './vehicle-state';
import type { FilterChip } from './vehicle-filter';

const record = (id: number, extra: Partial<VehicleRecord> = {}): VehicleRecord => {
  const v = vehicleSnapshot({ id, ...extra });
  return { ...v, state: classifyVehicle(v), ...extra };
};
const filter = (text: string, chips: FilterChip[] = []) => ({ text, states: new Set(chips) });
const none: ReadonlySet<number> = new Set();

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
    expect(matchesFilter(vans[0]!, filter('muller'), none)).toBe(true);
    expect(matchesFilter(vans[0]!, filter('jorg van'), none)).toBe(true);
    expect(matchesFilter(vans[2]!, filter('muller'), none)).toBe(false);
    expect(matchesFilter(vans[0]!, filter('bfl12'), none)).toBe(true);
    expect(matchesFilter(vans[0]!, filter('B-FL 12'), none)).toBe(true);
    expect(matchesFilter(vans[0]!, filter('386752'), none)).toBe(true);
    expect(matchesFilter(vans[0]!, filter('van truck'), none)).toBe(false);
    expect(matchesFilter(vans[1]!, filter('  '), none)).toBe(true);
  });

  it('filters by state and sorts by name with numbers in order', () => {
    expect(filterVehicles(vans, filter('', ['offline']), none).map((v) => v.id)).toEqual([2]);
    expect(filterVehicles(vans, filter('van'), none).map((v) => v.name)).toEqual([
      'Van 2',
      'Van 12',
    ]);
    expect(filterVehicles(vans, filter('van', ['offline']), none)).toEqual([]);
  });

  it('shows the vehicles with an open alarm under "Open alarms", whatever they do, and counts a vehicle in alarm by its speed', () => {
    // Van 12 is speeding (the red "alarm" state) with no open alarm; Truck 3
    // (offline) and Van 2 (idle) have open alarms: the dock's vehicles.
    const fleet = [
      record(1, { name: 'Van 12', overspeed: true }),
      record(2, { name: 'Truck 3', online: false }),
      record(3, { name: 'Van 2', position: null }),
    ];
    expect(fleet.map((v) => v.state)).toEqual(['alarm', 'offline', 'idle']);
    const open = new Set([2, 3]);
    const ids = (chips: FilterChip[]) =>
      filterVehicles(fleet, filter('', chips), open).map((v) => v.id);
    expect(ids(['open-alarm'])).toEqual([2, 3]);
    // The speeding van is a moving one: every vehicle is under one of the first three chips.
    expect(fleet.map(motionChip)).toEqual(['moving', 'offline', 'idle']);
    expect(ids(['moving'])).toEqual([1]);
    // By name: Truck 3, Van 2, Van 12.
    expect(ids(['moving', 'idle', 'offline'])).toEqual([2, 3, 1]);
    // Chips add up: moving, or with an open alarm.
    expect(ids(['moving', 'open-alarm'])).toEqual([2, 3, 1]);
    expect(ids(['idle', 'open-alarm'])).toEqual([2, 3]);
  });
});
