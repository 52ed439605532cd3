import { useEffect, useMemo, useRef, useState } from 'react';
import { useConsole, useSlice } from './context';
import { ConnectionBadge } from './ConnectionBadge';
import { FILTER_CHIPS, FILTER_CHIP_LABELS, motionChip } from '../stores/vehicle-filter';
import type { FilterChip } from '../stores/vehicle-filter';
import { useNow } from '../panels/use-now';
import { useOpenAlarmVehicles } from '../panels/use-open-alarm-vehicles';
import type { ShellAccount } from './ConsoleShell';

export function TopBar({ account }: { account: ShellAccount }) {
  const { stores } = useConsole();
  const user = useSlice(stores.session, (s) => s.user);
  const now = useNow();
  return (
    <header className="topbar">
      <div className="brand">
        Fleetline <span className="muted">Console</span>
      </div>
      <FleetPicker />
      <SearchBox />
      <StateFilter />
      <div className="spacer" />
      <ConnectionBadge />
      <time className="clock" dateTime={new Date(now).toISOString()}>
        {new Date(now).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}
      </time>
      {account.kind === 'signed-in' ? (
        <UserMenu name={user?.name ?? ''} role={user?.role ?? ''} onSignOut={account.onSignOut} />
      ) : (
        <button type="button" className="secondary" onClick={account.onSignIn}>
          Sign in
        </button>
      )}
      <button
        type="button"
        className="icon"
        onClick={() => stores.ui.getState().setShortcutsOpen(true)}
        aria-label="Keyboard shortcuts"
        title="Keyboard shortcuts (?)"
      >
        ?
      </button>
    </header>
  );
}

function SearchBox() {
  const { stores } = useConsole();
  const text = useSlice(stores.ui, (s) => s.filter.text);
  const focusRequest = useSlice(stores.ui, (s) => s.searchFocusRequest);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focusRequest > 0) {
      input.current?.focus();
      input.current?.select();
    }
  }, [focusRequest]);
  return (
    <input
      ref={input}
      type="search"
      className="search"
      placeholder="Search name, plate, driver, VIN  ( / )"
      aria-label="Search vehicles"
      value={text}
      onChange={(e) => stores.ui.getState().setText(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          // Enter opens the first match, as a dispatcher expects of a search box.
          const first = document.querySelector<HTMLElement>(
            '[data-testid="vehicle-list"] [data-vehicle-id]',
          );
          const id = Number(first?.dataset.vehicleId);
          if (Number.isInteger(id)) stores.ui.getState().select(id);
        }
      }}
    />
  );
}

/** What each chip shows, for its tooltip: the last one is not a state. */
const CHIP_TITLES: Record<FilterChip, string> = {
  moving: 'Moving vehicles',
  idle: 'Idle vehicles',
  offline: 'Offline vehicles',
  'open-alarm': 'Vehicles with an open alarm in the alarm dock, whatever they do now',
};

function StateFilter() {
  const { stores } = useConsole();
  const chips = useSlice(stores.ui, (s) => s.filter.states);
  const listRevision = useSlice(stores.fleet, (s) => s.listRevision);
  // Vehicles, as the list shows them with the chip on: the last count is the
  // dock's vehicles (those this console holds), not its alarms.
  const alarmVehicles = useOpenAlarmVehicles();
  const motionCounts = useMemo(() => {
    const c = { moving: 0, idle: 0, offline: 0 };
    for (const v of stores.fleet.getState().vehicles.values()) c[motionChip(v)] += 1;
    return c;
  }, [stores, listRevision]);
  const counts: Record<FilterChip, number> = {
    ...motionCounts,
    'open-alarm': alarmVehicles.inView,
  };
  return (
    <div className="chips state-filter" role="group" aria-label="Filter vehicles">
      {FILTER_CHIPS.map((chip, i) => (
        <button
          key={chip}
          type="button"
          className={`chip state-${chip === 'open-alarm' ? 'alarm' : chip} ${chips.has(chip) ? 'on' : ''}`}
          aria-pressed={chips.has(chip)}
          onClick={() => stores.ui.getState().toggleState(chip)}
          title={`${CHIP_TITLES[chip]}${chip === 'open-alarm' ? notInView(alarmVehicles) : ''} (${i + 1})`}
          data-chip={chip}
        >
          <span className="dot" aria-hidden="true" /> {FILTER_CHIP_LABELS[chip]}{' '}
          <span className="count">{counts[chip]}</span>
        </button>
      ))}
    </div>
  );
}

/** For the "Open alarms" chip's tooltip: the dock's vehicles it does not count, if any. */
function notInView({ total, inView, view }: { total: number; inView: number; view: string }) {
  const others = total - inView;
  if (others <= 0) return '';
  return `; the dock's other ${others} ${others === 1 ? 'is' : 'are'} not in ${view}`;
}

function FleetPicker() {
  const { platform, stores } = useConsole();
  const fleets = useSlice(stores.fleet, (s) => s.fleets);
  const selected = useSlice(stores.ui, (s) => s.fleetIds);
  const [options, setOptions] = useState(fleets);
  // Keep every fleet the user may see listed, even while narrowed to one.
  useEffect(() => {
    if (selected === null) setOptions(fleets);
  }, [fleets, selected]);
  if (options.length <= 1) return null;
  const value = selected?.length === 1 ? String(selected[0]) : 'all';
  return (
    <select
      className="fleet-picker"
      aria-label="Fleet"
      value={value}
      onChange={(e) => {
        const fleetIds = e.target.value === 'all' ? null : [Number(e.target.value)];
        stores.ui.getState().setFleetIds(fleetIds);
        void platform.updateSettings({ fleetIds });
      }}
    >
      <option value="all">All fleets</option>
      {options.map((f) => (
        <option key={f.id} value={f.id}>
          {f.name}
        </option>
      ))}
    </select>
  );
}

function UserMenu({
  name,
  role,
  onSignOut,
}: {
  name: string;
  role: string;
  onSignOut: () => void;
}) {
  const { platform } = useConsole();
  const [open, setOpen] = useState(false);
  const [wanted, setWanted] = useState(true);
  // What the browser allows: a setting that is on shows as on only when notifications can show.
  const [access, setAccess] = useState(() => platform.notificationAccess());
  useEffect(() => {
    void platform.settings().then((s) => setWanted(s.notifications));
  }, [platform]);
  // The user may change the site's permission in the browser meanwhile: look again on opening.
  useEffect(() => {
    if (open) setAccess(platform.notificationAccess());
  }, [open, platform]);
  const menu = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  // Open, it closes on Esc and on a click anywhere else, as menus do.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      // Esc from inside the menu closes it and nothing more (not the vehicle too).
      if (menu.current?.contains(document.activeElement)) {
        e.stopPropagation();
        toggle.current?.focus();
      }
    };
    const onPointer = (e: PointerEvent) => {
      if (!(e.target instanceof Node) || !menu.current?.contains(e.target)) setOpen(false);
    };
    // Capture: before the window's shortcut handler sees the Esc.
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('pointerdown', onPointer, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('pointerdown', onPointer, true);
    };
  }, [open]);
  const notifications = wanted && access === 'granted';
  const toggleNotifications = async () => {
    const next = !notifications;
    const granted = next ? await platform.requestNotificationAccess() : access;
    setAccess(granted);
    // Turned on only once the browser allows them; refused, the setting stays off.
    const saved = await platform.updateSettings({ notifications: next && granted === 'granted' });
    setWanted(saved.notifications);
  };
  const note: Partial<Record<typeof access, string>> = {
    default: 'the browser will ask',
    denied: "blocked by the browser: allow them in the site's settings",
    unsupported: 'not supported by this browser',
  };
  return (
    <div className="user-menu" ref={menu}>
      <button
        ref={toggle}
        type="button"
        className="secondary"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {name} <span className="muted">{role.replace('_', ' ')}</span>
      </button>
      {open && (
        <div className="menu" role="menu">
          <button
            type="button"
            role="menuitemcheckbox"
            aria-checked={notifications}
            aria-disabled={access === 'unsupported'}
            disabled={access === 'unsupported'}
            onClick={() => void toggleNotifications()}
          >
            {notifications ? '☑' : '☐'} Alarm notifications
            {note[access] && (
              <span className="muted" data-testid="notification-access">
                {' '}
                ({note[access]})
              </span>
            )}
          </button>
          <button type="button" role="menuitem" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}
