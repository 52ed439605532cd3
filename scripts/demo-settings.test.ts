import { describe, expect, it } from 'vitest';
import { ConfigError } from '@fleetline/server';
import { demoSettings } from './demo-settings.js';

describe('the demo fleet settings of npm start', () => {
  it('defaults to 30 vehicles in Berlin, logging warnings', () => {
    expect(demoSettings({})).toEqual({ vehicles: 30, city: 'berlin', logLevel: 'warn' });
  });

  it('treats an empty variable as unset, as the server does', () => {
    expect(demoSettings({ DEMO_VEHICLES: '', DEMO_CITY: '', DEMO_LOG_LEVEL: '' })).toEqual({
      vehicles: 30,
      city: 'berlin',
      logLevel: 'warn',
    });
  });

  it('takes what is set', () => {
    expect(
      demoSettings({ DEMO_VEHICLES: '0', DEMO_CITY: 'toronto', DEMO_LOG_LEVEL: 'info' }),
    ).toEqual({ vehicles: 0, city: 'toronto', logLevel: 'info' });
  });

  it('lists every bad setting at once, before anything starts', () => {
    for (const count of ['1e3', '0x10', ' 5', '-1', '5001', '2.5']) {
      expect(() => demoSettings({ DEMO_VEHICLES: count })).toThrow(ConfigError);
    }
    try {
      demoSettings({ DEMO_VEHICLES: 'lots', DEMO_CITY: 'atlantis', DEMO_LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'DEMO_VEHICLES: must be a whole number from 0 to 5000, in decimal digits',
        'DEMO_CITY: must be one of berlin, paris, madrid, warsaw, toronto',
        'DEMO_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
      ]);
    }
  });
});
