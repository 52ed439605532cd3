import fs from 'node:fs';
import inspector from 'node:inspector';

/**
 * Benchmark-only preload (node --import): SIGUSR2 starts the CPU profiler,
 * the next SIGUSR2 writes the profile to $BENCH_PROFILE_DIR. The benchmark
 * brackets exactly the measured window, leaving out start-up and connects.
 */
const dir = process.env.BENCH_PROFILE_DIR ?? '.';
const session = new inspector.Session();
session.connect();
let running = false;

// BENCH_HEAP_PROFILE=1 samples allocations instead, keeping objects that
// outlived the young generation and died in a major GC: what is promoted only
// to become garbage, the costly kind for a server with a large heap.
// BENCH_HEAP_PROFILE=all keeps every allocation, young garbage too: where
// the allocation rate, and so the number of scavenges, comes from.
const heap = Boolean(process.env.BENCH_HEAP_PROFILE);
const heapAll = process.env.BENCH_HEAP_PROFILE === 'all';

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    if (heap)
      session.post('HeapProfiler.enable', () =>
        session.post('HeapProfiler.startSampling', {
          samplingInterval: 16384,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: heapAll,
        }),
      );
    else session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  running = false;
  const write = (kind: string, data: unknown) =>
    fs.writeFileSync(`${dir}/window-${process.pid}-${Date.now()}.${kind}`, JSON.stringify(data));
  if (heap)
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err) write('heapprofile', result.profile);
    });
  else
    session.post('Profiler.stop', (err, result) => {
      if (!err) write('cpuprofile', result.profile);
    });
});

// With BENCH_HEARTBEAT set, a once-a-second line on stderr shows whether
// timers run at all under load, and how busy the event loop was.
if (process.env.BENCH_HEARTBEAT) {
  let last = performance.eventLoopUtilization();
  let lastAt = Date.now();
  setInterval(() => {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, last);
    process.stderr.write(
      `heartbeat at=${Date.now()} uptime=${Math.round(performance.now())} gap=${Date.now() - lastAt}ms elu=${elu.utilization.toFixed(2)}\n`,
    );
    last = now;
    lastAt = Date.now();
  }, 1000).unref();
}
