// The SQLite thread: owns the one better-sqlite3 connection and runs every
// statement, so that SQLite's synchronous work (B-tree updates, and the fsync
// of each COMMIT) never blocks the server's event loop. Statements are
// prepared once and cached by their SQL text.
//
// Plain JavaScript (type-checked through JSDoc) so that the same file runs
// from the sources, under tests, and from the build, with no loader.
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { threadError } from '../thread-error.mjs';

/** @typedef {import('./messages.js').SqliteRequest} SqliteRequest */
/** @typedef {import('./messages.js').SqliteResponse} SqliteResponse */
/** @typedef {import('./messages.js').QueryResult} QueryResult */
/** @typedef {import('../steps.js').Step} Step */
/** @typedef {import('../steps.js').StepsResult} StepsResult */

const STATEMENT_CACHE_SIZE = 500;

/** @type {import('better-sqlite3').Database | undefined} */
let db;
/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();

/** @param {string} sql */
function prepare(sql) {
  let statement = statements.get(sql);
  if (statement) {
    // Refresh its place in the LRU order.
    statements.delete(sql);
    statements.set(sql, statement);
    return statement;
  }
  if (!db) throw new Error('the SQLite thread has no open database');
  statement = db.prepare(sql);
  statements.set(sql, statement);
  if (statements.size > STATEMENT_CACHE_SIZE) {
    const oldest = statements.keys().next().value;
    if (oldest !== undefined) statements.delete(oldest);
  }
  return statement;
}

/**
 * @param {string} sql
 * @param {unknown[]} bindings
 * @returns {QueryResult}
 */
function query(sql, bindings) {
  const statement = prepare(sql);
  if (statement.reader)
    return { reader: true, rows: statement.all(...bindings), changes: 0, lastInsertRowid: 0 };
  const info = statement.run(...bindings);
  return {
    reader: false,
    rows: [],
    changes: info.changes,
    lastInsertRowid: Number(info.lastInsertRowid),
  };
}

/**
 * Runs steps in one IMMEDIATE transaction. A step whose statements return
 * fewer rows than it expects rolls everything back.
 * @param {Step[]} steps
 * @returns {StepsResult}
 */
function transaction(steps) {
  if (!db) throw new Error('the SQLite thread has no open database');
  const started = performance.now();
  prepare('BEGIN IMMEDIATE').run();
  try {
    /** @type {unknown[][]} */
    const rows = [];
    for (let i = 0; i < steps.length; i++) {
      const step = /** @type {Step} */ (steps[i]);
      /** @type {unknown[]} */
      const stepRows = [];
      for (const s of step.statements) {
        const statement = prepare(s.sql);
        if (s.returns) for (const row of statement.all(...s.params)) stepRows.push(row);
        else statement.run(...s.params);
      }
      if (step.expectRows !== undefined && stepRows.length !== step.expectRows) {
        prepare('ROLLBACK').run();
        return {
          committed: false,
          failedStep: i,
          rows: stepRows,
          dbMs: performance.now() - started,
        };
      }
      // A guard that held needs no rows back: the caller knows them all.
      rows.push(step.expectRows === undefined ? stepRows : []);
    }
    prepare('COMMIT').run();
    return { committed: true, rows, dbMs: performance.now() - started };
  } catch (err) {
    if (db.inTransaction) prepare('ROLLBACK').run();
    throw err;
  }
}

/**
 * @param {SqliteRequest} request
 * @returns {QueryResult | StepsResult | null}
 */
function handle(request) {
  switch (request.op) {
    case 'open':
      db = new Database(request.filename);
      for (const pragma of request.pragmas) db.pragma(pragma);
      return null;
    case 'query':
      return query(request.sql, request.bindings);
    case 'transaction':
      return transaction(request.steps);
    case 'close':
      statements.clear();
      db?.close();
      db = undefined;
      return null;
  }
}

parentPort?.on('message', (/** @type {SqliteRequest} */ request) => {
  /** @type {SqliteResponse} */
  let response;
  try {
    response = { id: request.id, ok: true, result: handle(request) };
  } catch (err) {
    response = { id: request.id, ok: false, error: threadError(err) };
  }
  parentPort?.postMessage(response);
});
