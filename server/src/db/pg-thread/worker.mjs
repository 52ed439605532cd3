// The PostgreSQL ingest thread: runs each ingest tick's transaction on its
// own connection and its own event loop. On the main thread every round trip
// of a tick (BEGIN, one statement per table, COMMIT) waited behind thousands
// of device sockets, and PostgreSQL sat idle in the transaction meanwhile;
// here the next statement goes out as soon as the last one is answered.
//
// Plain JavaScript (type-checked through JSDoc) so that the same file runs
// from the sources, under tests, and from the build, with no loader.
import { parentPort, workerData } from 'node:worker_threads';
import knexFactory from 'knex';
import { pgTypes } from '../pg-types.mjs';
import { threadError } from '../thread-error.mjs';

/** @typedef {import('../steps.js').Step} Step */
/** @typedef {import('../steps.js').StepsResult} StepsResult */
/** @typedef {import('./messages.js').PgThreadRequest} PgThreadRequest */
/** @typedef {import('../worker-rpc.js').WorkerResponse} WorkerResponse */

/** @type {import('./messages.js').PgThreadOptions} */
const options = workerData;

const { statementTimeoutMs } = options;

const knex = knexFactory({
  client: 'pg',
  connection: {
    connectionString: options.url,
    types: pgTypes,
    application_name: 'fleetline-ingest',
    // A tick waiting on a lock fails after this, and devices resend; the
    // server ends a transaction whose client went silent in the middle of it.
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: statementTimeoutMs,
    // TCP keepalive from 10 s of silence: a peer that vanished between
    // ticks (a failover, a cable) is found by the OS's probes rather than
    // only by the next tick's deadline.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: statementTimeoutMs,
  },
  ...(options.schema ? { searchPath: [options.schema] } : {}),
  // Ticks run one at a time: one connection.
  pool: { min: 1, max: 1 },
});

/** Thrown inside the transaction to roll it back, carrying what the short step returned. */
class StepShortfall extends Error {
  /**
   * @param {number} failedStep
   * @param {unknown[]} rows
   */
  constructor(failedStep, rows) {
    super(`step ${failedStep} returned ${rows.length} rows`);
    this.failedStep = failedStep;
    this.rows = rows;
  }
}

/**
 * @param {Step[]} steps
 * @returns {Promise<StepsResult>}
 */
async function runSteps(steps) {
  const started = performance.now();
  try {
    const rows = await knex.transaction(async (trx) => {
      // One ingest transaction at a time per schema, across connections: a
      // thread replaced after its deadline leaves its backend behind, which
      // may still be committing. The next transaction waits here until that
      // one has ended, so what it reads (a tick in doubt being settled) and
      // plans comes after it.
      await trx.raw(
        "SELECT pg_advisory_xact_lock(hashtext('fleetline-ingest:' || current_schema()))",
      );
      /** @type {unknown[][]} */
      const all = [];
      for (let i = 0; i < steps.length; i++) {
        const step = /** @type {Step} */ (steps[i]);
        /** @type {unknown[]} */
        const stepRows = [];
        for (const statement of step.statements) {
          const result = /** @type {{ rows?: unknown[] }} */ (
            await trx.raw(
              statement.sql,
              /** @type {readonly import('knex').Knex.RawBinding[]} */ (statement.params),
            )
          );
          if (statement.returns) stepRows.push(...(result.rows ?? []));
        }
        if (step.expectRows !== undefined && stepRows.length !== step.expectRows)
          throw new StepShortfall(i, stepRows);
        // A guard that held needs no rows back: the caller knows them all.
        all.push(step.expectRows === undefined ? stepRows : []);
      }
      return all;
    });
    return { committed: true, rows, dbMs: performance.now() - started };
  } catch (err) {
    if (err instanceof StepShortfall)
      return {
        committed: false,
        failedStep: err.failedStep,
        rows: err.rows,
        dbMs: performance.now() - started,
      };
    throw err;
  }
}

parentPort?.on('message', (/** @type {PgThreadRequest & { id: number }} */ request) => {
  const work = request.op === 'steps' ? runSteps(request.steps) : knex.destroy().then(() => null);
  work.then(
    (result) =>
      parentPort?.postMessage(/** @type {WorkerResponse} */ ({ id: request.id, ok: true, result })),
    (/** @type {unknown} */ err) =>
      parentPort?.postMessage(
        /** @type {WorkerResponse} */ ({ id: request.id, ok: false, error: threadError(err) }),
      ),
  );
});
