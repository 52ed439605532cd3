// How values come back from PostgreSQL, for every connection the server
// opens (the main pool and the ingest thread). Plain JavaScript so that the
// ingest thread can import it from the sources and from the build alike.
import pg from 'pg';

const INT8_OID = 20;

/**
 * BIGINT columns hold epoch milliseconds and sequence numbers, all below
 * 2^53; node-pg returns them as strings unless told otherwise. The parser is
 * set per connection, not globally, so nothing else in the process changes.
 * @param {string} value
 */
function parseInt8(value) {
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new RangeError(`BIGINT ${value} exceeds the safe integer range`);
  return n;
}

export const pgTypes = {
  /**
   * @param {number} oid
   * @param {string} format
   * @returns {unknown}
   */
  getTypeParser: (oid, format) =>
    oid === INT8_OID
      ? parseInt8
      : pg.types.getTypeParser(oid, format === 'binary' ? 'binary' : 'text'),
};
