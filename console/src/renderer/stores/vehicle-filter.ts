import type { VehicleRecord } from './fleet-store';
import type { VehicleFilter } from './ui-store';
import { isMoving } from './vehicle-state';

/**
 * The filter chips, in their order (shortcuts 1 to 4). The first three divide
 * the fleet by what a vehicle does (every vehicle is in exactly one); the
 * last is the vehicles the alarm dock is about, whatever they do: those with
 * an open alarm, one not yet acknowledged.
 *
 * Not the "alarm" state the map colours red (speeding now, or confirmed
 * trouble codes): a storm of alarms raised and over, or a vehicle gone
 * offline, leaves open alarms on vehicles in no such state, and a dispatcher
 * looking for the vehicles behind the dock's alarms found none. A vehicle in
 * that state is counted by its speed, as moving or idle.
 */
export const FILTER_CHIPS = ['moving', 'idle', 'offline', 'open-alarm'] as const;
export type FilterChip = (typeof FILTER_CHIPS)[number];

export const FILTER_CHIP_LABELS: Record<FilterChip, string> = {
  moving: 'Moving',
  idle: 'Idle',
  offline: 'Offline',
  'open-alarm': 'Open alarms',
};

/** Which of the chips that divide the fleet a vehicle is counted under. */
export function motionChip(vehicle: VehicleRecord): Exclude<FilterChip, 'open-alarm'> {
  if (vehicle.state !== 'alarm') return vehicle.state;
  return isMoving(vehicle) ? 'moving' : 'idle';
}

/** Lower case without accents: "Müller" is found by "muller". */
export function normalizeText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .trim();
}

/** What a search matches in a vehicle: name, plate, VIN and the driver who has it. */
export function searchableText(
  vehicle: Pick<VehicleRecord, 'name' | 'plate' | 'vin' | 'driver'>,
): string {
  return normalizeText(
    [vehicle.name, vehicle.plate ?? '', vehicle.vin ?? '', vehicle.driver?.name ?? ''].join(' '),
  );
}

/**
 * Any chip that is on may match (none on: all do); every word of the search
 * must appear; plates match with or without spaces and dashes.
 * `openAlarms`: the ids of the vehicles with an open alarm (the events store's).
 */
export function matchesFilter(
  vehicle: VehicleRecord,
  filter: VehicleFilter,
  openAlarms: ReadonlySet<number>,
): boolean {
  if (
    filter.states.size > 0 &&
    !filter.states.has(motionChip(vehicle)) &&
    !(filter.states.has('open-alarm') && openAlarms.has(vehicle.id))
  )
    return false;
  const words = normalizeText(filter.text).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = searchableText(vehicle);
  const compact = haystack.replace(/[\s-]+/g, '');
  return words.every((w) => haystack.includes(w) || compact.includes(w.replace(/-/g, '')));
}

/** The vehicles a filter keeps, in the order lists show them (by name, then id). */
export function filterVehicles(
  vehicles: Iterable<VehicleRecord>,
  filter: VehicleFilter,
  openAlarms: ReadonlySet<number>,
): VehicleRecord[] {
  const kept: VehicleRecord[] = [];
  for (const v of vehicles) if (matchesFilter(v, filter, openAlarms)) kept.push(v);
  return kept.sort(
    (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }) || a.id - b.id,
  );
}
