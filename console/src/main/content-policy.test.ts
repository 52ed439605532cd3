import { describe, expect, it } from 'vitest';
import { ContentPolicy, MAP_SETTINGS_RETRY_MS } from './content-policy.js';
import type { MapSettings } from './csp.js';

const MAPBOX: MapSettings = { mapboxToken: 'pk.test', styleUrl: null };
const NONE: MapSettings = { mapboxToken: null, styleUrl: null };

/** A promise the test settles when it wants: a server answering late. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The policy with scripted servers: `answers` maps a server URL to its map
 * settings (null: unreachable), the store is a Map, timers are recorded.
 */
function rig(initialServer: string, answers: Record<string, MapSettings | null>) {
  const stored = new Map<string, MapSettings>();
  const asked: string[] = [];
  const timers: { ms: number; run: () => void; cancelled: boolean }[] = [];
  let reloads = 0;
  let gate: Promise<void> | null = null;
  const policy = new ContentPolicy(initialServer, {
    fetchMapSettings: async (url) => {
      asked.push(url);
      if (gate) await gate;
      return answers[url] ?? null;
    },
    storedMapSettings: (url) => stored.get(url) ?? null,
    storeMapSettings: (url, map) => stored.set(url, map),
    reload: () => {
      reloads += 1;
    },
    later: (run, ms) => {
      const timer = { ms, run, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
  });
  return {
    policy,
    stored,
    asked,
    timers,
    reloads: () => reloads,
    hold: (until: Promise<void>) => {
      gate = until;
    },
  };
}

const connectSrc = (csp: string) => /connect-src ([^;]*)/.exec(csp)?.[1];

describe('the desktop CSP follows the server and its map provider', () => {
  it('allows only the configured server (and its websocket) before anything is learnt', () => {
    const { policy } = rig('https://fleet.example:8443', {});
    expect(connectSrc(policy.current())).toBe(
      "'self' https://fleet.example:8443 wss://fleet.example:8443",
    );
  });

  it('starts with the map settings stored for that server, without waiting for it', () => {
    const { policy, stored } = rig('http://a.example', {});
    expect(policy.mapSettings).toBeNull();
    stored.set('http://a.example', MAPBOX);
    const again = new ContentPolicy('http://a.example', {
      fetchMapSettings: () => new Promise(() => {}),
      storedMapSettings: (url) => stored.get(url) ?? null,
      storeMapSettings: () => {},
      reload: () => {},
      later: () => () => {},
    });
    expect(connectSrc(again.forPage())).toContain('https://api.mapbox.com');
  });

  it('reloads the window once a Mapbox token is learnt after start-up, and not when nothing changed', async () => {
    const first = rig('http://a.example', { 'http://a.example': MAPBOX });
    first.policy.forPage();
    await first.policy.learn();
    expect(first.reloads()).toBe(1);
    expect(connectSrc(first.policy.forPage())).toContain('https://api.mapbox.com');
    expect(first.stored.get('http://a.example')).toEqual(MAPBOX);

    const same = rig('http://a.example', { 'http://a.example': NONE });
    same.policy.forPage();
    await same.policy.learn();
    expect(same.reloads()).toBe(0);
  });

  it('does not reload a window whose page has not been served yet: it will get the new CSP anyway', async () => {
    const { policy, reloads } = rig('http://a.example', { 'http://a.example': MAPBOX });
    await policy.learn();
    expect(reloads()).toBe(0);
    expect(policy.forPage()).toContain('https://api.mapbox.com');
  });

  it('reloads once on a change of server, with the new server and its map provider allowed', async () => {
    const { policy, asked, reloads } = rig('http://127.0.0.1:8080', {
      'http://127.0.0.1:8080': NONE,
      'https://fleet.example': { mapboxToken: null, styleUrl: 'https://tiles.example.org/s.json' },
    });
    await policy.learn();
    policy.forPage();
    await policy.serverChanged('https://fleet.example');
    expect(asked).toEqual(['http://127.0.0.1:8080', 'https://fleet.example']);
    expect(reloads()).toBe(1);
    const csp = connectSrc(policy.forPage());
    expect(csp).toBe("'self' https://fleet.example wss://fleet.example https://tiles.example.org");
    expect(csp).not.toContain('127.0.0.1');
  });

  it('reloads on a change of server even when the new one cannot be reached, and keeps asking it', async () => {
    const answers: Record<string, MapSettings | null> = {};
    const { policy, timers, reloads } = rig('http://127.0.0.1:8080', answers);
    policy.forPage();
    await policy.serverChanged('http://10.0.0.5:8080');
    expect(reloads()).toBe(1);
    expect(connectSrc(policy.forPage())).toBe("'self' http://10.0.0.5:8080 ws://10.0.0.5:8080");
    expect(timers.map((t) => t.ms)).toEqual([MAP_SETTINGS_RETRY_MS[0]]);

    // Still away: the next attempt waits longer.
    timers[0]?.run();
    await Promise.resolve();
    await Promise.resolve();
    expect(timers.map((t) => t.ms)).toEqual([MAP_SETTINGS_RETRY_MS[0], MAP_SETTINGS_RETRY_MS[1]]);
    expect(reloads()).toBe(1);

    // Back, with a Mapbox token: the window reloads with Mapbox allowed.
    answers['http://10.0.0.5:8080'] = MAPBOX;
    timers[1]?.run();
    await new Promise((r) => setTimeout(r, 0));
    expect(reloads()).toBe(2);
    expect(policy.forPage()).toContain('https://api.mapbox.com');
  });

  it('changes nothing for the same origin written differently', async () => {
    const { policy, asked, reloads } = rig('http://127.0.0.1:8080', {});
    policy.forPage();
    await policy.serverChanged('http://127.0.0.1:8080/');
    await policy.serverChanged('http://127.0.0.1:8080/fleet');
    expect(asked).toEqual([]);
    expect(reloads()).toBe(0);
  });

  it('ignores a late answer about the previous server', async () => {
    const gate = deferred<void>();
    const { policy, hold, reloads } = rig('http://a.example', {
      'http://a.example': MAPBOX,
      'http://b.example': NONE,
    });
    policy.forPage();
    hold(gate.promise);
    const startUp = policy.learn();
    const change = policy.serverChanged('http://b.example');
    gate.resolve();
    await Promise.all([startUp, change]);
    // a's Mapbox token must not be allowed for b.
    expect(policy.forPage()).not.toContain('mapbox');
    expect(reloads()).toBe(1);
  });

  it('stops asking once disposed', async () => {
    const { policy, timers } = rig('http://a.example', {});
    await policy.learn();
    expect(timers).toHaveLength(1);
    policy.dispose();
    expect(timers[0]?.cancelled).toBe(true);
  });
});
