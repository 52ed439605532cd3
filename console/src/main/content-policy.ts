import { desktopCsp } from './csp.js';
import type { MapSettings } from './csp.js';
import { originOf } from './window.js';

/** What the policy needs from the rest of the main process (fakes in unit tests). */
export interface ContentPolicyDeps {
  /** GET /api/config of a server: its map settings, or null when it cannot be reached. */
  fetchMapSettings(serverUrl: string): Promise<MapSettings | null>;
  /** Map settings last learnt from this server (kept between runs), or null. */
  storedMapSettings(serverUrl: string): MapSettings | null;
  storeMapSettings(serverUrl: string, map: MapSettings): void;
  /** Reloads the console's window, so its page is served again with the current CSP. */
  reload(): void;
  /** setTimeout that returns its own cancel (and does not keep the process alive). */
  later(run: () => void, ms: number): () => void;
}

/** Back-off between attempts to learn the map settings of a server that cannot be reached. */
export const MAP_SETTINGS_RETRY_MS = [30_000, 60_000, 120_000, 300_000] as const;

/**
 * The desktop renderer's Content-Security-Policy follows the settings: the
 * configured server is the only place the page may talk to, and the map
 * provider is allowed only once the server has said which one it uses. A
 * page keeps the CSP it was served with, so when either changes (the
 * dispatcher picks another server, or a server that was unreachable at
 * start-up hands out a Mapbox token) the window is reloaded to get the new
 * one. Nothing waits for the server: the window opens with what was known
 * at the last run, and the map settings are learnt in the background.
 */
export class ContentPolicy {
  #serverUrl: string;
  #map: MapSettings | null;
  /** The CSP of the page the window shows; null before the first page (or a dev server's page). */
  #served: string | null = null;
  /** Bumped on every server change: answers about an earlier server are ignored. */
  #generation = 0;
  #failures = 0;
  #cancelRetry: (() => void) | null = null;

  constructor(
    serverUrl: string,
    private readonly deps: ContentPolicyDeps,
  ) {
    this.#serverUrl = serverUrl;
    this.#map = deps.storedMapSettings(serverUrl);
  }

  /** The CSP the rules give now. */
  current(): string {
    return desktopCsp(this.#serverUrl, this.#map);
  }

  /** The CSP for a page being served now: remembered as the one the window shows. */
  forPage(): string {
    this.#served = this.current();
    return this.#served;
  }

  get mapSettings(): MapSettings | null {
    return this.#map;
  }

  /** Asks the server for its map settings (start-up: in the background, the window does not wait). */
  learn(): Promise<void> {
    return this.#learn(this.#generation);
  }

  /**
   * The settings were saved. Another origin is another server: its CSP at
   * once, and a reload, after asking it for its map settings first so the
   * window reloads once rather than twice. The same origin (a trailing
   * slash, a path) changes nothing the CSP says.
   */
  async serverChanged(serverUrl: string): Promise<void> {
    const sameOrigin = originOf(serverUrl) === originOf(this.#serverUrl);
    this.#serverUrl = serverUrl;
    if (sameOrigin) return;
    this.#generation += 1;
    this.#failures = 0;
    this.#cancelRetry?.();
    this.#cancelRetry = null;
    this.#map = this.deps.storedMapSettings(serverUrl);
    await this.#learn(this.#generation);
  }

  dispose(): void {
    this.#generation += 1;
    this.#cancelRetry?.();
    this.#cancelRetry = null;
  }

  async #learn(generation: number): Promise<void> {
    const serverUrl = this.#serverUrl;
    const fresh = await this.deps.fetchMapSettings(serverUrl);
    if (generation !== this.#generation) return;
    if (fresh) {
      this.#failures = 0;
      this.#map = fresh;
      this.deps.storeMapSettings(serverUrl, fresh);
    } else {
      // Unreachable now: keep what was known, and ask again later, so a server that comes
      // back with a Mapbox token gets its map allowed without a restart.
      const delay =
        MAP_SETTINGS_RETRY_MS[Math.min(this.#failures, MAP_SETTINGS_RETRY_MS.length - 1)] ??
        300_000;
      this.#failures += 1;
      this.#cancelRetry?.();
      this.#cancelRetry = this.deps.later(() => {
        this.#cancelRetry = null;
        void this.#learn(generation);
      }, delay);
    }
    this.#reloadIfStale();
  }

  #reloadIfStale(): void {
    if (this.#served === null || this.#served === this.current()) return;
    // The reloaded page asks for its HTML again and gets the current CSP (forPage).
    this.#served = null;
    this.deps.reload();
  }
}
