import { describe, expect, it } from 'vitest';
import { isDataError, isUnavailableError } from './dialect.js';

const withCode = (code: string) => Object.assign(new Error('failed'), { code });

describe('isUnavailableError', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['PostgreSQL connection failure (class 08)', withCode('08006')],
    ['too many connections (class 53)', withCode('53300')],
    ['a statement cancelled by statement_timeout', withCode('57014')],
    ['an administrator shutdown', withCode('57P01')],
    ['the database starting up', withCode('57P03')],
    ['SQLite locked past its busy timeout', withCode('SQLITE_BUSY')],
    ['pg giving up on an answer, as knex reports it', new Error('select 1 - Query read timeout')],
    ['pg losing its connection', new Error('Connection terminated unexpectedly')],
    ['no pooled connection in time', Object.assign(new Error('x'), { name: 'KnexTimeoutError' })],
  ])('takes %s for the database being unavailable', (_what, err) => {
    expect(isUnavailableError(err)).toBe(true);
    expect(isDataError(err)).toBe(false);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a value out of range', withCode('22003')],
    ['a syntax error (a bug)', withCode('42601')],
    ['a SQLite constraint', withCode('SQLITE_CONSTRAINT_PRIMARYKEY')],
    ['an error without a code', new Error('something else')],
    ['a timeout word elsewhere in a message', new Error('column "query read timeout" missing')],
    ['not an error at all', 'ECONNREFUSED'],
    ['nothing', null],
  ])('does not take %s for it', (_what, err) => {
    expect(isUnavailableError(err)).toBe(false);
  });
});
