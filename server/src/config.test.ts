import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to an embedded SQLite under DATA_DIR', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.database).toEqual({
      kind: 'sqlite',
      filename: path.resolve('data', 'fleetline.sqlite'),
      synchronous: 'FULL',
    });
    expect(config.offlineAfterMs).toBe(120_000);
  });

  it('selects PostgreSQL from DATABASE_URL and treats empty variables as unset', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@h/db',
      DATABASE_SCHEMA: 'fleet',
      PORT: '',
      LOG_LEVEL: 'debug',
    });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
      schema: 'fleet',
    });
    expect(config.port).toBe(8080);
    expect(config.logLevel).toBe('debug');
  });

  it('lists every invalid setting at once', () => {
    try {
      loadConfig({
        PORT: '70000',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        OFFLINE_AFTER_S: '1',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0])).toEqual([
        'PORT',
        'DATABASE_URL',
        'LOG_LEVEL',
        'OFFLINE_AFTER_S',
      ]);
      expect((err as ConfigError).message).toMatch(/postgres:\/\/ URL/);
    }
  });
});
