import { useCallback, useEffect, useState } from 'react';
import { ConsoleProvider, useConsole, useSlice } from './context';
import type { ConsoleServices } from './context';
import { ConsoleShell } from './ConsoleShell';
import { forgetCookieLogin } from './cookie-login';
import { LoginScreen } from './LoginScreen';

export function App({ services }: { services: ConsoleServices }) {
  return (
    <ConsoleProvider services={services}>
      <Root />
    </ConsoleProvider>
  );
}

function Root() {
  const { api, platform, stores } = useConsole();
  const status = useSlice(stores.session, (s) => s.status);
  const [fitOnFirstData, setFit] = useState(true);
  useEffect(() => {
    void platform.settings().then((s) => setFit(s.mapView === null));
  }, [platform]);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // Signing out locally still works while the server is away; the session expires there.
    }
    await platform.saveSession(null);
    forgetCookieLogin(window.localStorage);
    stores.fleet.getState().clear();
    stores.events.getState().clear();
    stores.ui.getState().select(null);
    stores.session.getState().signedOut();
  }, [api, platform, stores]);

  if (status === 'checking') return <div className="splash">Fleetline Console…</div>;
  if (status === 'signed-out') return <LoginScreen />;
  if (status === 'offline')
    return (
      <ConsoleShell
        account={{ kind: 'offline', onSignIn: () => stores.session.getState().signedOut() }}
        fitOnFirstData={fitOnFirstData}
      />
    );
  return (
    <ConsoleShell
      account={{ kind: 'signed-in', onSignOut: () => void signOut() }}
      fitOnFirstData={fitOnFirstData}
    />
  );
}
