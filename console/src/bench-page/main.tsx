import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from '../renderer/api/client';
import { ConsoleProvider, createConsoleStores } from '../renderer/app/context';
import { SocketController } from '../renderer/live/SocketController';
import { MapView } from '../renderer/map/MapView';
import { VehiclesLayer } from '../renderer/map/layers/VehiclesLayer';
import { VehicleList } from '../renderer/panels/VehicleList';
import { webPlatform } from '../renderer/platform/platform';
import { cssVariables } from '../renderer/theme/tokens';
import '../renderer/theme/styles.css';
import { MapProbe } from './MapProbe';
import { NaiveMarkers } from './NaiveMarkers';

/**
 * The benchmark's page: the console's own feed controller, buffer, stores,
 * vehicle list and map, with either the console's WebGL vehicle layer
 * (?mode=layers) or the naive baseline (?mode=naive). Built and driven by
 * bench/console.ts; never part of the product build.
 */
const params = new URLSearchParams(location.search);
const mode = params.get('mode') === 'naive' ? 'naive' : 'layers';
const view = {
  lon: Number(params.get('lon') ?? 13.405),
  lat: Number(params.get('lat') ?? 52.52),
  zoom: Number(params.get('zoom') ?? 12.5),
};

const style = document.createElement('style');
style.textContent = cssVariables();
document.head.append(style);

localStorage.setItem('fleetline.console.settings', JSON.stringify({ mapView: view }));
const platform = webPlatform(window);
const stores = createConsoleStores();
stores.session
  .getState()
  .signedIn(
    { id: 1, email: 'bench@example.test', name: 'Bench', role: 'dispatcher', fleetIds: [] },
    'bench',
    null,
  );
const api = createApiClient({ baseUrl: () => '', token: () => 'bench' });
(window as unknown as { __bench: unknown }).__bench = { stores, mode };

const root = document.getElementById('root');
if (!root) throw new Error('no #root');
createRoot(root).render(
  <StrictMode>
    <ConsoleProvider services={{ platform, api, stores }}>
      <SocketController />
      <div className="app" style={{ gridTemplateRows: '1fr' }}>
        <main className="workspace" style={{ gridTemplateColumns: '320px 1fr' }}>
          <aside className="sidebar">
            <VehicleList />
          </aside>
          <section className="map-area">
            <MapView>
              <MapProbe />
              {mode === 'layers' ? <VehiclesLayer /> : <NaiveMarkers />}
            </MapView>
          </section>
        </main>
      </div>
    </ConsoleProvider>
  </StrictMode>,
);
