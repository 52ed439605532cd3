import { useEffect } from 'react';
import { useMap } from '../renderer/map/map-context';

/** Counts the map's repaints for the benchmark (each one redraws every layer). */
export function MapProbe() {
  const map = useMap();
  useEffect(() => {
    const w = window as unknown as { __repaints?: number; __map?: unknown };
    w.__map = map;
    w.__repaints = 0;
    const count = () => {
      w.__repaints = (w.__repaints ?? 0) + 1;
    };
    map.on('render', count);
    return () => {
      map.off('render', count);
    };
  }, [map]);
  return null;
}
