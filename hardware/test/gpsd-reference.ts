import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Reads gpsd's reference output for the shared NMEA logs. The logs are never
 * copied into the repository. They are found, in this order, under
 * $FLEETLINE_FIXTURES_DIR, in shared/fixtures beside the repository, or in
 * the workplace's /work/shared/fixtures (a clone checked out elsewhere, as
 * CI's may be). None found is an error, not a skip.
 */
export const NMEA_FIXTURES = locateFixtures('nmea');

function locateFixtures(kind: string): string {
  const candidates = [
    ...(process.env.FLEETLINE_FIXTURES_DIR ? [process.env.FLEETLINE_FIXTURES_DIR] : []),
    path.resolve(findRepoRoot(), '../shared/fixtures'),
    '/work/shared/fixtures',
  ].map((dir) => path.join(dir, kind));
  const found = candidates.find((dir) => existsSync(path.join(dir, 'README.md')));
  if (!found) {
    throw new Error(
      `the ${kind} fixtures are missing; looked in:\n  ${candidates.join('\n  ')}\nset FLEETLINE_FIXTURES_DIR`,
    );
  }
  return found;
}

/** The monorepo root, from the sources or from dist/ alike: the first ancestor holding hardware/. */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (
      existsSync(path.join(dir, 'hardware', 'package.json')) &&
      existsSync(path.join(dir, 'package.json'))
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the repository root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export interface GpsdTpv {
  class: 'TPV';
  mode: number;
  time?: string;
  lat?: number;
  lon?: number;
  altMSL?: number;
  speed?: number;
  track?: number;
}

export interface GpsdSky {
  class: 'SKY';
  hdop?: number;
  pdop?: number;
  vdop?: number;
  uSat?: number;
  nSat?: number;
  satellites?: unknown[];
}

/** One input sentence and the reports gpsd emitted right after it. */
export interface GpsdStep {
  sentence: string;
  reports: (GpsdTpv | GpsdSky)[];
}

export function listNmeaLogs(): string[] {
  return readdirSync(NMEA_FIXTURES)
    .filter((name) => name.endsWith('.log'))
    .map((name) => name.slice(0, -4))
    .sort();
}

export function readNmeaLog(name: string): string {
  return readFileSync(path.join(NMEA_FIXTURES, `${name}.log`), 'latin1');
}

export function readGpsdSteps(name: string): GpsdStep[] {
  const steps: GpsdStep[] = [];
  for (const line of readFileSync(path.join(NMEA_FIXTURES, `${name}.log.chk`), 'latin1').split(
    /\r?\n/,
  )) {
    if (!line) continue;
    if (line.startsWith('{')) {
      const report = JSON.parse(line) as { class: string };
      const step = steps.at(-1);
      if (step && (report.class === 'TPV' || report.class === 'SKY')) {
        step.reports.push(report as GpsdTpv | GpsdSky);
      }
    } else {
      steps.push({ sentence: line, reports: [] });
    }
  }
  return steps;
}
