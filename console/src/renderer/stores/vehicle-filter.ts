import type { VehicleRecord } from './fleet-store';
import type { VehicleFilter } from './ui-store';

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

/** Every word of the search must appear; plates match with or without spaces and dashes. */
export function matchesFilter(vehicle: VehicleRecord, filter: VehicleFilter): boolean {
  if (filter.states.size > 0 && !filter.states.has(vehicle.state)) return false;
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
): VehicleRecord[] {
  const kept: VehicleRecord[] = [];
  for (const v of vehicles) if (matchesFilter(v, filter)) kept.push(v);
  return kept.sort(
    (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }) || a.id - b.id,
  );
}
