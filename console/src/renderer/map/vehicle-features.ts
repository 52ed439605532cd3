import type * as GeoJSON from 'geojson';
import type { VehicleRecord } from '../stores/fleet-store';

export interface VehicleFeatureProperties {
  id: number;
  name: string;
  state: VehicleRecord['state'];
  /** Degrees; -1 when unknown (no arrow is drawn). */
  heading: number;
  alarm: 0 | 1;
}

export type VehicleFeature = GeoJSON.Feature<GeoJSON.Point, VehicleFeatureProperties>;

/**
 * Features are cached per record object: a record is replaced only when its
 * vehicle changes, so each flush rebuilds just the vehicles that moved.
 */
const cache = new WeakMap<VehicleRecord, VehicleFeature | null>();

export function vehicleFeature(vehicle: VehicleRecord): VehicleFeature | null {
  const cached = cache.get(vehicle);
  if (cached !== undefined) return cached;
  const position = vehicle.position;
  const feature: VehicleFeature | null = position
    ? {
        type: 'Feature',
        id: vehicle.id,
        geometry: { type: 'Point', coordinates: [position.lon, position.lat] },
        properties: {
          id: vehicle.id,
          name: vehicle.name,
          state: vehicle.state,
          heading: position.headingDeg ?? -1,
          alarm: vehicle.state === 'alarm' ? 1 : 0,
        },
      }
    : null;
  cache.set(vehicle, feature);
  return feature;
}

export function vehicleCollection(
  vehicles: Iterable<VehicleRecord>,
  keep: (v: VehicleRecord) => boolean,
): GeoJSON.FeatureCollection<GeoJSON.Point, VehicleFeatureProperties> {
  const features: VehicleFeature[] = [];
  for (const v of vehicles) {
    if (!keep(v)) continue;
    const f = vehicleFeature(v);
    if (f) features.push(f);
  }
  return { type: 'FeatureCollection', features };
}
