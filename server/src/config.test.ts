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

  it('keeps history for good unless a retention in days is set', () => {
    expect(loadConfig({}).retention).toEqual({ telemetryMs: null, eventsMs: null });
    expect(
      loadConfig({ TELEMETRY_RETENTION_DAYS: '90', EVENT_RETENTION_DAYS: '0' }).retention,
    ).toEqual({ telemetryMs: 90 * 86_400_000, eventsMs: null });
    expect(() => loadConfig({ EVENT_RETENTION_DAYS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ TELEMETRY_RETENTION_DAYS: '1.5' })).toThrow(ConfigError);
  });

  it('refuses a pending-sample limit below the batch size, which would refuse full batches for good', () => {
    expect(() => loadConfig({ INGEST_MAX_PENDING_SAMPLES: '100' })).toThrow(
      /INGEST_MAX_PENDING_SAMPLES: must be at least MAX_BATCH_SAMPLES \(1000\)/,
    );
    const small = loadConfig({ INGEST_MAX_PENDING_SAMPLES: '100', MAX_BATCH_SAMPLES: '100' });
    expect(small).toMatchObject({ ingestMaxPendingSamples: 100, maxBatchSamples: 100 });
  });

  it('trusts no reverse proxy unless TRUST_PROXY names one', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1', '1e3'])
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY: must be true/);
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

  it('takes integer settings only as plain decimal digits', () => {
    expect(loadConfig({ PORT: '0080', SESSION_TTL_H: '24' })).toMatchObject({
      port: 80,
      sessionTtlMs: 24 * 3600 * 1000,
    });
    try {
      loadConfig({
        PORT: ' 80',
        SESSION_TTL_H: '0x10',
        OFFLINE_AFTER_S: '1e3',
        CONSOLE_FLUSH_MS: '50.0',
        STATS_INTERVAL_S: '-0',
        INGEST_FLUSH_MS: '+20',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'CONSOLE_FLUSH_MS',
        'INGEST_FLUSH_MS',
        'OFFLINE_AFTER_S',
        'PORT',
        'SESSION_TTL_H',
        'STATS_INTERVAL_S',
      ]);
      expect((err as ConfigError).problems[0]).toMatch(/^PORT: .*decimal/);
    }
  });
});
