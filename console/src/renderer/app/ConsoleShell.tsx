import { COLUMN_LIMITS } from '../stores/ui-store';
import { useConsole, useSlice } from './context';
import { LayoutKeeper } from './layout-keeper';
import { ResizeHandle } from './ResizeHandle';
import { OfflineBanner, StaleBanner } from './ConnectionBadge';
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

/** Who is using the console: a signed-in user, or nobody (the stored picture, read-only). */
export type ShellAccount =
  { kind: 'signed-in'; onSignOut: () => void } | { kind: 'offline'; onSignIn: () => void };

/**
 * The console: vehicles on the left, the map, and the right-hand column
 * with the alarm dock above the vehicle or event panel. Signed in,
 * controllers that render nothing own the feed and keep the picture; not
 * signed in (offline), it shows the stored picture with neither.
 */
export function ConsoleShell({
  account,
  fitOnFirstData,
}: {
  account: ShellAccount;
  fitOnFirstData: boolean;
}) {
  const { stores } = useConsole();
  useShortcuts(stores);
  const sidebarWidth = useSlice(stores.ui, (s) => s.sidebarWidth);
  const panelWidth = useSlice(stores.ui, (s) => s.panelWidth);
  const resize = (column: 'sidebar' | 'panel') => (width: number) =>
    stores.ui.getState().setColumnWidth(column, width);
  return (
    <div
      className="app"
      style={{
        ['--sidebar-width' as string]: `${sidebarWidth}px`,
        ['--panel-width' as string]: `${panelWidth}px`,
      }}
    >
      <LayoutKeeper />
      {account.kind === 'signed-in' ? (
        <>
          <SocketController />
          <PictureKeeper />
          <TopBar account={account} />
          <StaleBanner />
        </>
      ) : (
        <>
          <TopBar account={account} />
          <OfflineBanner onSignIn={account.onSignIn} />
        </>
      )}
      <main className="workspace">
        <aside className="sidebar" aria-label="Vehicles">
          <VehicleList />
        </aside>
        <ResizeHandle
          label="Width of the vehicle list"
          width={sidebarWidth}
          min={COLUMN_LIMITS.sidebar.min}
          max={COLUMN_LIMITS.sidebar.max}
          direction={1}
          onResize={resize('sidebar')}
          onCommit={resize('sidebar')}
        />
        <section className="map-area" aria-label="Map">
          <MapView>
            <TrailLayer />
            <VehiclesLayer />
            <ReplayLayer />
            <CameraController fitOnFirstData={fitOnFirstData} />
          </MapView>
        </section>
        <ResizeHandle
          label="Width of the details panel"
          width={panelWidth}
          min={COLUMN_LIMITS.panel.min}
          max={COLUMN_LIMITS.panel.max}
          direction={-1}
          onResize={resize('panel')}
          onCommit={resize('panel')}
        />
        <aside className="side-panel" aria-label="Details">
          <AlarmsDock />
          <SidePanel />
        </aside>
      </main>
      <ShortcutsHelp />
    </div>
  );
}
