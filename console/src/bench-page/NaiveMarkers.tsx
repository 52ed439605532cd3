import { useEffect, useState } from 'react';
import { useConsole, useSlice } from '../renderer/app/context';
import { useMap } from '../renderer/map/map-context';
import { STATE_COLORS } from '../renderer/theme/tokens';

/**
 * The baseline the benchmark compares against: what a console without the
 * traccar-web pattern does, one React-rendered DOM marker per vehicle,
 * re-rendered from the store on every flush.
 */
export function NaiveMarkers() {
  const map = useMap();
  const { stores } = useConsole();
  const revision = useSlice(stores.fleet, (s) => s.revision);
  const [, setView] = useState(0);
  useEffect(() => {
    const moved = () => setView((v) => v + 1);
    map.on('move', moved);
    return () => {
      map.off('move', moved);
    };
  }, [map]);
  const vehicles = [...stores.fleet.getState().vehicles.values()];
  return (
    <div
      className="naive-markers"
      data-revision={revision}
      style={{ position: 'absolute', inset: 0, pointerEvents: 'none', overflow: 'hidden' }}
    >
      {vehicles.map((v) => {
        if (!v.position) return null;
        const p = map.project([v.position.lon, v.position.lat]);
        return (
          <div
            key={v.id}
            title={v.name}
            style={{
              position: 'absolute',
              left: p.x - 6,
              top: p.y - 6,
              width: 12,
              height: 12,
              borderRadius: 6,
              background: STATE_COLORS[v.state],
              border: '2px solid #0b1120',
              transform: `rotate(${v.position.headingDeg ?? 0}deg)`,
            }}
          />
        );
      })}
    </div>
  );
}
