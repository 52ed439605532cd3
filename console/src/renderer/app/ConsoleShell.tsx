import { useEffect, useState } from 'react';
import { DEFAULT_SETTINGS } from '../../shared/ipc';
import type { Settings } from '../../shared/ipc';
import { useConsole } from './context';
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
  const { platform, stores } = useConsole();
  useShortcuts(stores);
  const [layout, setLayout] = useState<Settings['layout']>(DEFAULT_SETTINGS.layout);
  useEffect(() => {
    void platform.settings().then((s) => setLayout(s.layout));
  }, [platform]);
  const commit = (next: Partial<Settings['layout']>) => {
    const merged = { ...layout, ...next };
    setLayout(merged);
    void platform.updateSettings({ layout: merged });
  };
  return (
    <div
      className="app"
      style={{
        ['--sidebar-width' as string]: `${layout.sidebarWidth}px`,
        ['--panel-width' as string]: `${layout.panelWidth}px`,
      }}
    >
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
          width={layout.sidebarWidth}
          min={200}
          max={800}
          direction={1}
          onResize={(sidebarWidth) => setLayout((l) => ({ ...l, sidebarWidth }))}
          onCommit={(sidebarWidth) => commit({ sidebarWidth })}
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
          width={layout.panelWidth}
          min={280}
          max={900}
          direction={-1}
          onResize={(panelWidth) => setLayout((l) => ({ ...l, panelWidth }))}
          onCommit={(panelWidth) => commit({ panelWidth })}
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
