// Test fixture (sample-sink.test.ts): one simulated device read per turn of
// the event loop, through the real sink and outbox, as the GPS supervisor
// feeds them. It prints a read's number once the task that handled it has
// ended (the next turn), i.e. once the daemon could have done anything
// else, such as send it; the parent SIGKILLs it mid-stream.
import { createLogger } from '../util/logger.js';
import { Outbox } from '../outbox/outbox.js';
import { SampleSink } from './sample-sink.js';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: sink-writer.fixture.ts FILE\n');
  process.exit(2);
}
const logger = createLogger('silent');
const outbox = Outbox.open({ file, maxBytes: 64 * 1024 * 1024, synchronous: 'FULL', logger });
const sink = new SampleSink({ outbox, logger });
sink.start();
const T0 = Date.UTC(2026, 10, 21);
for (let read = 1; ; read += 1) {
  // One GPS epoch: its position and a status, as one read produces them.
  sink.push({ kind: 'position', t: T0 + read * 100, lat: 52.5, lon: 13.4, fixQuality: 'gps' });
  sink.push({ kind: 'status', t: T0 + read * 100, batteryV: 12 + (read % 10) / 10 });
  await new Promise((resolve) => setImmediate(resolve));
  process.stdout.write(`${read}\n`);
}
