import { createContext, useContext } from 'react';
import type { MapLike } from './engine';

export const MapContext = createContext<MapLike | null>(null);

/** The loaded map, for layer components (they render inside MapView once the style has loaded). */
export function useMap(): MapLike {
  const map = useContext(MapContext);
  if (!map) throw new Error('useMap outside a loaded MapView');
  return map;
}
