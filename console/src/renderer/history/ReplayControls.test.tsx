// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { ReadingSeries } from '@fleetline/protocol';
import { formatTime } from '../panels/format';
import { loadFleet, position, three } from '../testing/fixtures';
import { json, render, step, testServices, text } from '../testing/render';
import { READINGS_BEFORE_MS, loadReplay } from './history-actions';
import { ReplayControls } from './ReplayControls';

const from = Date.UTC(2026, 10, 21, 7, 0, 0);
const RPM = 0x0c;
const COOLANT = 0x05;
const series = (pid: number, unit: string, points: [number, number][]): ReadingSeries => ({
  pid,
  part: 0,
  unit,
  points: points.map(([t, value]) => ({ t, value })),
});

describe('the readings along a replay', () => {
  /**
   * A trip from 07:00: its first engine speed comes 3 s in, its first coolant
   * temperature 20 s in (slow PIDs are read every 30 s). Before the trip the
   * engine idled: coolant 82 °C at 06:58:40, and no engine speed at all.
   */
  const server = (before: ReadingSeries[]) => (url: string) => {
    const query = new URL(url, 'http://console.test').searchParams;
    const envelope = { vehicleId: 1, from: Number(query.get('from')), to: Number(query.get('to')) };
    const common = { ...envelope, downsampled: false, bucketMs: 0 };
    if (url.includes('/positions'))
      return json(200, {
        ...common,
        points: [0, 10, 20, 30].map((s) => position(from + s * 1000, 13.4 + s / 1000)),
      });
    if (url.includes('/readings'))
      return json(200, {
        ...common,
        series:
          Number(query.get('to')) <= from
            ? before
            : [
                series(RPM, 'rpm', [
                  [from + 3_000, 900],
                  [from + 13_000, 1500],
                ]),
                series(COOLANT, '°C', [[from + 20_000, 84]]),
              ],
      });
    return json(404, {});
  };

  const open = async (before: ReadingSeries[]) => {
    const services = testServices(server(before));
    loadFleet(services, three());
    const vehicle = services.stores.fleet.getState().vehicles.get(1)!;
    const view = await render(services, <ReplayControls vehicle={vehicle} />);
    await step(() =>
      loadReplay(services.api, services.stores.history, {
        vehicleId: 1,
        from,
        to: from + 60_000,
        label: 'Trip',
      }),
    );
    const row = (name: string) =>
      text(
        [...view.container.querySelectorAll('[data-testid="replay-readings"] tr')].find((r) =>
          text(r.querySelector('th')).startsWith(name),
        ),
      );
    return { services, row };
  };

  it('shows at the start the latest reading from just before it, and says when it was read', async () => {
    const { services, row } = await open([
      series(COOLANT, '°C', [
        [from - 200_000, 79],
        [from - 80_000, 82],
      ]),
    ]);
    // At the start (the first position, 07:00:00).
    expect(services.stores.history.getState().cursorT).toBe(from);
    expect(row('Engine coolant')).toContain(`82.0 °C read ${formatTime(from - 80_000)}`);
    // Read 80 s before the start, 100 s before the next: not old for a series read that seldom.
    expect(row('Engine coolant')).not.toContain('old');
    // No engine speed was read before the trip: said so, not a bare dash.
    expect(row('Engine speed')).toContain('no reading yet');
    expect(row('Engine speed')).not.toContain('—');

    // Once the trip's own readings come, they are shown, and the note goes.
    await step(() => services.stores.history.getState().seek(from + 5_000));
    expect(row('Engine speed')).toContain('900 rpm');
    expect(row('Engine coolant')).toContain('82.0 °C read');
    await step(() => services.stores.history.getState().seek(from + 25_000));
    expect(row('Engine coolant')).toContain('84.0 °C');
    expect(row('Engine coolant')).not.toContain('read');
  });

  it('asks for the readings of the few minutes before the start, not of the day before', async () => {
    const { services } = await open([]);
    const asked = services.requests
      .filter((url) => url.includes('/readings'))
      .map((url) => new URL(url, 'http://console.test').searchParams)
      .map((q) => [Number(q.get('from')), Number(q.get('to'))]);
    expect(asked).toContainEqual([from - READINGS_BEFORE_MS, from]);
  });

  it("marks a reading with its age once it is older at the replay's time than its series is read", async () => {
    // A trip's end: GPS speed all along, the OBD-II vehicle speed (read every
    // second) last read 40 s before the end, coolant (read every 30 s) all along.
    const SPEED = 0x0d;
    const end = from + 60_000;
    const services = testServices((url) => {
      const query = new URL(url, 'http://console.test').searchParams;
      const common = {
        vehicleId: 1,
        from: Number(query.get('from')),
        to: Number(query.get('to')),
        downsampled: false,
        bucketMs: 0,
      };
      if (url.includes('/positions'))
        return json(200, {
          ...common,
          points: Array.from({ length: 61 }, (_, s) => position(from + s * 1000, 13.4 + s / 1e4)),
        });
      if (url.includes('/readings'))
        return json(200, {
          ...common,
          series:
            Number(query.get('to')) <= from
              ? []
              : [
                  series(
                    SPEED,
                    'km/h',
                    Array.from({ length: 21 }, (_, s): [number, number] => [
                      from + s * 1000,
                      42 + s,
                    ]),
                  ),
                  series(COOLANT, '°C', [
                    [from, 80],
                    [from + 30_000, 82],
                    [from + 60_000, 84],
                  ]),
                ],
        });
      return json(404, {});
    });
    loadFleet(services, three());
    const vehicle = services.stores.fleet.getState().vehicles.get(1)!;
    const view = await render(services, <ReplayControls vehicle={vehicle} />);
    await step(() =>
      loadReplay(services.api, services.stores.history, {
        vehicleId: 1,
        from,
        to: end + 1,
        label: 'Trip',
      }),
    );
    const cell = (name: string) =>
      [...view.container.querySelectorAll('[data-testid="replay-readings"] tr')]
        .find((r) => text(r.querySelector('th')).startsWith(name))
        ?.querySelector('td.value');

    // Mid-trip, each is current: no age.
    await step(() => services.stores.history.getState().seek(from + 15_000));
    expect(text(cell('Vehicle speed'))).toBe('57.0 km/h');
    expect(cell('Vehicle speed')?.classList.contains('muted')).toBe(false);
    // 10 s after the last speed reading: still current (the live panel's rule for 1 Hz values).
    await step(() => services.stores.history.getState().seek(from + 30_000));
    expect(text(cell('Vehicle speed'))).toBe('62.0 km/h');
    // Past that, its age, from the replay's time, as a last known value.
    await step(() => services.stores.history.getState().seek(from + 31_000));
    expect(text(cell('Vehicle speed'))).toBe('62.0 km/h 11 s old (last known)');
    expect(cell('Vehicle speed')?.classList.contains('muted')).toBe(true);
    expect(
      cell('Vehicle speed')?.querySelector('[data-testid="reading-age"]')?.getAttribute('title'),
    ).toContain(`Read at ${formatTime(from + 20_000)}`);
    // Coolant read every 30 s: 29 s after its last reading is not old for it.
    await step(() => services.stores.history.getState().seek(from + 59_000));
    expect(text(cell('Engine coolant'))).toBe('82.0 °C');
    // At the trip's end.
    await step(() => services.stores.history.getState().seek(end));
    expect(text(cell('Vehicle speed'))).toBe('62.0 km/h 40 s old (last known)');
    expect(text(cell('Engine coolant'))).toBe('84.0 °C');
  });

  it('tells how often a series is read from the reading before the start too, and marks that one when it is old', async () => {
    // Engine speed read 80 s before the start, then at 3 s and 13 s in (every
    // 10 s); coolant 40 s before the start and 20 s in (every minute).
    const { services, row } = await open([
      series(RPM, 'rpm', [[from - 80_000, 800]]),
      series(COOLANT, '°C', [[from - 40_000, 81]]),
    ]);
    await step(() => services.stores.history.getState().seek(from + 1_000));
    expect(row('Engine speed')).toContain(
      `800 rpm read ${formatTime(from - 80_000)}, 1 min old (last known)`,
    );
    // 41 s old, read once a minute: current, with when it was read.
    expect(row('Engine coolant')).toContain(`81.0 °C read ${formatTime(from - 40_000)}`);
    expect(row('Engine coolant')).not.toContain('old');
  });

  it('says "no reading yet" for every series when nothing was read shortly before the start', async () => {
    const { row } = await open([]);
    expect(row('Engine coolant')).toContain('no reading yet');
    expect(row('Engine speed')).toContain('no reading yet');
  });
});
