import { useConsole } from './context';
import { StaleBanner } from './ConnectionBadge';
import { ShortcutsHelp } from './ShortcutsHelp';
import { TopBar } from './TopBar';
import { useShortcuts } from './use-shortcuts';
import { PictureKeeper } from '../live/PictureKeeper';
import { SocketController } from '../live/SocketController';
import { MapView } from '../map/MapView';
import { CameraController } from '../map/layers/CameraController';
import { ReplayLayer } from '../map/layers/ReplayLayer';
import { TrailLayer } from '../map/layers/TrailLayer';
import { VehiclesLayer } from '../map/layers/VehiclesLayer';
import { AlarmsDock } from '../panels/AlarmsDock';
import { SidePanel } from '../panels/SidePanel';
import { VehicleList } from '../panels/VehicleList';

/**
 * The signed-in console: vehicles on the left, the map, and the right-hand
 * column with the alarm dock above the vehicle or event panel. Controllers
 * that render nothing own the feed and the stored picture.
 */
export function ConsoleShell({
  onSignOut,
  fitOnFirstData,
}: {
  onSignOut: () => void;
  fitOnFirstData: boolean;
}) {
  const { stores } = useConsole();
  useShortcuts(stores);
  return (
    <div className="app">
      <SocketController />
      <PictureKeeper />
      <TopBar onSignOut={onSignOut} />
      <StaleBanner />
      <main className="workspace">
        <aside className="sidebar" aria-label="Vehicles">
          <VehicleList />
        </aside>
        <section className="map-area" aria-label="Map">
          <MapView>
            <TrailLayer />
            <VehiclesLayer />
            <ReplayLayer />
            <CameraController fitOnFirstData={fitOnFirstData} />
          </MapView>
        </section>
        <aside className="side-panel" aria-label="Details">
          <AlarmsDock />
          <SidePanel />
        </aside>
      </main>
      <ShortcutsHelp />
    </div>
  );
}
