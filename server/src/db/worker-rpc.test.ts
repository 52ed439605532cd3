import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerRpc } from './worker-rpc.js';

// A stand-in for a database thread: it reports failures through the same
// thread-error.mjs as the real ones, and can be made to hang or crash.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.threadError).then(({ threadError }) => {
  parentPort.on('message', (request) => {
    if (request.op === 'echo') parentPort.postMessage({ id: request.id, ok: true, result: request.value });
    if (request.op === 'refuse') {
      const err = Object.assign(
        new Error('insert or update on table "fleet_members" violates foreign key constraint "fleet_members_fleet_id_foreign"'),
        {
          code: '23503',
          detail: 'Key (fleet_id)=(999) is not present in table "fleets".',
          constraint: 'fleet_members_fleet_id_foreign',
          table: 'fleet_members',
          schema: 'public',
          column: undefined,
          hint: 42,
          routine: 'ri_ReportViolation',
        },
      );
      parentPort.postMessage({ id: request.id, ok: false, error: threadError(err) });
    }
    if (request.op === 'crash') throw new Error('out of luck');
    // 'hang': never answered.
  });
});
`;

type TestRequest = { op: 'echo'; value: string } | { op: 'refuse' | 'hang' | 'crash' };

describe('WorkerRpc', () => {
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.terminate();
  });

  const start = () => {
    worker = new Worker(THREAD, {
      eval: true,
      workerData: { threadError: new URL('./thread-error.mjs', import.meta.url).href },
    });
    return new WorkerRpc<TestRequest>(worker, 'test thread');
  };

  it('rejects a refused request with the code and what PostgreSQL said was refused, for the logger', async () => {
    const rpc = start();
    expect(await rpc.request({ op: 'echo', value: 'ok' })).toBe('ok');
    const err: unknown = await rpc.request({ op: 'refuse' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const carried = {
      message:
        'insert or update on table "fleet_members" violates foreign key constraint "fleet_members_fleet_id_foreign"',
      code: '23503',
      detail: 'Key (fleet_id)=(999) is not present in table "fleets".',
      constraint: 'fleet_members_fleet_id_foreign',
      table: 'fleet_members',
      schema: 'public',
    };
    expect(err).toMatchObject(carried);
    // Only the listed fields, and only strings.
    expect(err).not.toHaveProperty('routine');
    expect(err).not.toHaveProperty('hint');
    expect(err).not.toHaveProperty('column');
    expect(pino.stdSerializers.err(err as Error)).toMatchObject(carried);
    expect(rpc.failed).toBe(false);
  });

  it('fails the request in flight and every later one once the thread dies, each with its own error', async () => {
    const rpc = start();
    const inFlight = rpc.request({ op: 'hang' });
    void rpc.request({ op: 'crash' }).catch(() => undefined);
    await expect(inFlight).rejects.toThrow('the test thread failed: out of luck');
    expect(rpc.failed).toBe(true);
    const later = await rpc.request({ op: 'echo', value: 'ok' }).catch((e: unknown) => e);
    const again = await rpc.request({ op: 'echo', value: 'ok' }).catch((e: unknown) => e);
    expect(later).toMatchObject({ message: 'the test thread failed: out of luck' });
    expect(again).toMatchObject({ message: 'the test thread failed: out of luck' });
    expect(again).not.toBe(later);
  });

  it('says how the thread exited when it went away without an error', async () => {
    const rpc = start();
    await worker?.terminate();
    await expect(rpc.request({ op: 'echo', value: 'ok' })).rejects.toThrow(
      /^the test thread exited \(code \d+\)$/,
    );
  });
});
