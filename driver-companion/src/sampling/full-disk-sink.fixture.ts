// Test fixture (sample-sink.test.ts), run on a tmpfs about the size of the
// outbox's bound (test/support/tiny-disk.ts): reads go through the real
// sink into the real outbox until the disk-bound policy has had to run on a
// disk with no room left for its own transactions, and then the commits
// too. Prints what the outbox holds as JSON: every read at most once.
import path from 'node:path';
import { Outbox } from '../outbox/outbox.js';
import { createLogger } from '../util/logger.js';
import { SampleSink } from './sample-sink.js';

const [dir, maxBytesArg, readsArg] = process.argv.slice(2);
if (!dir || !maxBytesArg || !readsArg) {
  process.stderr.write('usage: full-disk-sink.fixture.ts DIR MAX_BYTES READS\n');
  process.exit(2);
}
const messages = new Map<string, number>();
const logger = createLogger(
  'warn',
  {},
  {
    write: (line: string) => {
      const { msg } = JSON.parse(line) as { msg: string };
      messages.set(msg, (messages.get(msg) ?? 0) + 1);
    },
  },
);
const outbox = Outbox.open({
  file: path.join(dir, 'outbox.sqlite'),
  maxBytes: Number(maxBytesArg),
  synchronous: 'NORMAL',
  logger,
});
const sink = new SampleSink({ outbox, logger });
const T0 = Date.UTC(2026, 10, 21);
// Reads until the disk refuses even the commits (a few in a row), at most READS.
let refusedInARow = 0;
for (let read = 1; read <= Number(readsArg) && refusedInARow < 20; read += 1) {
  // One read: a position and a reading, each carrying the read's number.
  const t = T0 + read * 100;
  sink.push({ kind: 'position', t, lat: 52.5, lon: 13.4 + read / 1e6, fixQuality: 'gps' });
  sink.push({ kind: 'reading', t, pid: 0x0d, part: 0, value: read % 250, unit: 'km/h' });
  await new Promise((resolve) => setImmediate(resolve));
  refusedInARow = sink.stats().lastError === null ? 0 : refusedInARow + 1;
}
sink.stop();
const copies = new Map<string, number>();
for (const row of outbox.read(0, null, 10_000_000)) {
  const { seq: _seq, ...content } = row.sample;
  const key = JSON.stringify(content);
  copies.set(key, (copies.get(key) ?? 0) + 1);
}
process.stdout.write(
  `${JSON.stringify({
    rows: [...copies.values()].reduce((a, b) => a + b, 0),
    duplicated: [...copies.values()].filter((n) => n > 1).length,
    sink: sink.stats(),
    outbox: outbox.stats().counters,
    messages: Object.fromEntries(messages),
  })}\n`,
);
outbox.close();
