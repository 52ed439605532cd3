import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * SQLite's `PRAGMA quick_check` over an outbox file, for doctor: it reads
 * every page, so it finds a damaged page wherever it is, where opening the
 * file (and doctor's inspection) reads only a few. It is O(size): about 1 s
 * for a 512 MB outbox in the page cache, 9 s from a cold virtual disk on
 * the development machine, more on an SD card. It is one synchronous SQLite
 * call that better-sqlite3 cannot interrupt (no progress handler, no
 * sqlite3_interrupt), so it runs in a child process: doctor goes on with the
 * devices and the server meanwhile, and the child is killed at the
 * deadline. The child opens the file read-only, like the inspection.
 */

export type IntegrityFinding =
  | { kind: 'intact'; ms: number }
  /** SQLite's own words (at most 100 problems), and the tables or indexes the damaged pages belong to. */
  | { kind: 'damaged'; problems: string[]; objects: string[]; ms: number }
  /** Stopped at the deadline: the pages it had not reached are unchecked. */
  | { kind: 'unfinished'; afterMs: number }
  /** The check could not run (the file could not be opened, the disk failed). */
  | { kind: 'failed'; message: string };

export interface IntegrityOptions {
  /** Kill the check after this long. */
  timeoutMs: number;
  /** Stops the check early (doctor failing elsewhere). */
  signal?: AbortSignal;
}

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * The child: prints one JSON line, the rows quick_check produced and the
 * error it stopped on. SQLite reports some damage as rows and throws on
 * other damage (a table page it cannot parse while checking the columns of
 * a STRICT table): both are kept, the rows coming first.
 */
const CHILD = `
const [, driver, file] = process.argv;
const Database = require(driver);
const out = { rows: [], roots: {}, error: null };
try {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    for (const [page, name] of db.prepare('SELECT rootpage, name FROM sqlite_schema WHERE rootpage > 0').raw().iterate())
      out.roots[page] = name;
    for (const [row] of db.prepare('PRAGMA quick_check(100)').raw().iterate()) out.rows.push(String(row));
  } finally {
    db.close();
  }
} catch (error) {
  out.error = { code: typeof error.code === 'string' ? error.code : null, message: String(error.message) };
}
process.stdout.write(JSON.stringify(out) + '\\n');
`;

interface ChildReport {
  rows: string[];
  roots: Record<string, string>;
  error: { code: string | null; message: string } | null;
}

/** Runs quick_check on the file in a child process; never changes the file. */
export function checkIntegrity(file: string, options: IntegrityOptions): Promise<IntegrityFinding> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', CHILD, BETTER_SQLITE3, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let settled: IntegrityFinding | null = null;
    const finish = (finding: IntegrityFinding): void => {
      if (settled) return;
      settled = finding;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve(finding);
    };
    const stop = (finding: IntegrityFinding): void => {
      child.kill('SIGKILL');
      finish(finding);
    };
    const timer = setTimeout(
      () => stop({ kind: 'unfinished', afterMs: elapsed() }),
      options.timeoutMs,
    );
    const abort = (): void => stop({ kind: 'unfinished', afterMs: elapsed() });
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => finish({ kind: 'failed', message: error.message }));
    child.on('close', (code, signal) => {
      let report: ChildReport;
      try {
        report = JSON.parse(stdout) as ChildReport;
      } catch {
        const why = stderr.trim().split('\n').at(-1) ?? '';
        finish({
          kind: 'failed',
          message: `the check ended without a result (${signal ?? `exit ${code}`})${why ? `: ${why}` : ''}`,
        });
        return;
      }
      finish(findingOf(report, elapsed()));
    });
  });
}

function findingOf(report: ChildReport, ms: number): IntegrityFinding {
  const { rows, error } = report;
  const corrupt =
    error !== null && (error.code === 'SQLITE_CORRUPT' || error.code === 'SQLITE_NOTADB');
  if (error !== null && !corrupt) {
    return { kind: 'failed', message: `${error.message}${error.code ? ` (${error.code})` : ''}` };
  }
  if (!corrupt && rows.length === 1 && rows[0] === 'ok') return { kind: 'intact', ms };
  const problems = rows
    .flatMap((row) => row.split('\n'))
    .filter((line) => line !== '' && line !== 'ok' && !line.startsWith('*** in database'));
  if (corrupt) problems.push(error.message);
  // Where the damaged pages are ("Tree 4 page 179: …"); a wrong count in an index, or a bad value, follows from them.
  const trees = new Set<string>();
  const affected = new Set<string>();
  for (const problem of problems) {
    const tree = /^Tree (\d+) /.exec(problem)?.[1];
    const name = tree === undefined ? undefined : report.roots[tree];
    if (name !== undefined) trees.add(name);
    // "wrong # of entries in index samples_by_class", "row 7 missing from index …", "NULL value in samples.t"
    const named = /\bindex (\w+)/.exec(problem)?.[1] ?? / value in (\w+)\./.exec(problem)?.[1];
    if (named !== undefined) affected.add(named);
  }
  const objects = [...(trees.size > 0 ? trees : affected)];
  return { kind: 'damaged', problems, objects, ms };
}
