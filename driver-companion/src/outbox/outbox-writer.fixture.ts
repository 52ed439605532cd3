// Test fixture: appends samples forever, printing the last committed number
// after each append returns, until the parent kills it (outbox.test.ts).
import { createLogger } from '../util/logger.js';
import { Outbox } from './outbox.js';

const [file, synchronous] = process.argv.slice(2);
if (!file || (synchronous !== 'FULL' && synchronous !== 'NORMAL')) {
  process.stderr.write('usage: outbox-writer.fixture.ts FILE FULL|NORMAL\n');
  process.exit(2);
}
const outbox = Outbox.open({
  file,
  maxBytes: 64 * 1024 * 1024,
  synchronous,
  logger: createLogger('silent'),
});
let t = Date.UTC(2026, 10, 21);
for (;;) {
  const drafts = Array.from({ length: 5 }, () => ({
    kind: 'position' as const,
    t: (t += 100),
    lat: 52.5,
    lon: 13.4,
    fixQuality: 'gps' as const,
  }));
  const result = outbox.append(drafts);
  process.stdout.write(`${result.last}\n`);
  // Yield so the pipe is flushed and the parent can kill mid-stream.
  await new Promise((resolve) => setImmediate(resolve));
}
