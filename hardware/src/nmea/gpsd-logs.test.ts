import { describe, expect, it } from 'vitest';
import { listNmeaLogs, readGpsdSteps, readNmeaLog } from '../../test/gpsd-reference.js';
import type { GpsdSky } from '../../test/gpsd-reference.js';
import { FixAssembler } from './assembler.js';
import type { GnssFix } from './fix.js';
import { parseNmeaSentence } from './parse.js';
import { NmeaStreamParser } from './stream.js';

const MODE_NUMBER = { no_fix: 1, '2d': 2, '3d': 3 } as const;
const GPS_WEEKS_1024_MS = 1024 * 7 * 86_400_000;

/** Tolerances from shared/fixtures/nmea/README.md. */
const TOLERANCE = { lat: 1e-6, lon: 1e-6, altMSL: 0.1, speed: 0.01, track: 0.1, dop: 0.005 };

function close(mine: number | null, theirs: number, tolerance: number): boolean {
  return mine !== null && Math.abs(mine - theirs) <= tolerance;
}

describe('the ten real receiver logs against gpsd', () => {
  it('finds all ten logs beside the repository', () => {
    expect(listNmeaLogs()).toHaveLength(10);
  });

  for (const name of listNmeaLogs()) {
    describe(name, () => {
      it('parses every line without a crash, and every non-comment line as a sentence', () => {
        const parser = new NmeaStreamParser();
        const text = readNmeaLog(name);
        // Byte by byte: framing must not depend on how the port chunks its reads.
        const items = [...Buffer.from(text, 'latin1')].flatMap((byte) =>
          parser.push(Uint8Array.of(byte)),
        );
        const lines = text.split(/\r?\n/).filter((l) => l && !l.startsWith('#'));
        expect(items).toHaveLength(lines.length);
        expect(items.filter((item) => !item.ok)).toEqual([]);
      });

      const steps = readGpsdSteps(name);
      const assembler = new FixAssembler();
      const tpvDiffs: string[] = [];
      let tpvCompared = 0;
      /** Per epoch (time of day), gpsd's SKY after its GSA (or, without GSA, after GGA). */
      const skyByEpoch = new Map<number | null, GpsdSky>();
      /**
       * Per epoch, gpsd's full sky view (the SKY with a satellite list): its
       * uSat counts every used satellite, where the short SKY after GGA
       * repeats GGA's count, which u-blox caps at 12. Used only when that view
       * is complete (nSat equals what GSV announced): garmin17n is a fragment
       * that lacks two of three GSV messages.
       */
      const fullSkyByEpoch = new Map<number | null, GpsdSky>();
      /** Per epoch, what the receiver's own GNS sentence counted as used. */
      const gnsUsedByEpoch = new Map<number | null, number>();
      const emitted: GnssFix[] = [];
      for (const step of steps) {
        const sentence = parseNmeaSentence(step.sentence);
        if (sentence.type === 'GNS' && sentence.satellitesUsed !== null) {
          gnsUsedByEpoch.set(sentence.time, sentence.satellitesUsed);
        }
        emitted.push(...assembler.push(sentence));
        const current = assembler.current();
        for (const report of step.reports) {
          if (report.class === 'SKY') {
            const epoch = current?.timeOfDayMs ?? null;
            if (report.satellites) fullSkyByEpoch.set(epoch, report);
            if (sentence.type === 'GSA' || (sentence.type === 'GGA' && !skyByEpoch.has(epoch))) {
              skyByEpoch.set(epoch, report);
            }
            continue;
          }
          tpvCompared += 1;
          const where = step.sentence.slice(0, 30);
          if (!current) {
            tpvDiffs.push(`${where}: no fix where gpsd reported one`);
            continue;
          }
          const diffs: string[] = [];
          if (MODE_NUMBER[current.mode] !== report.mode) {
            diffs.push(`mode ${current.mode} vs ${report.mode}`);
          }
          const fields = [
            ['lat', current.lat, report.lat],
            ['lon', current.lon, report.lon],
            ['altMSL', current.altitudeMslM, report.altMSL],
            ['speed', current.speedMps, report.speed],
            ['track', current.trackDeg, report.track],
          ] as const;
          for (const [field, mine, theirs] of fields) {
            if (theirs !== undefined && !close(mine, theirs, TOLERANCE[field])) {
              diffs.push(`${field} ${mine} vs ${theirs}`);
            }
          }
          if (report.time !== undefined) {
            let theirs = Date.parse(report.time);
            // gpsd "corrects" this 2015 capture by 1024 GPS weeks (its rollover
            // guard); the RMC date, and the log's own header, say 2015-03-18.
            if (name === 'neo-m8n' && current.time !== theirs) theirs -= GPS_WEEKS_1024_MS;
            if (current.time !== theirs) diffs.push(`time ${current.time} vs ${report.time}`);
          }
          if (diffs.length > 0) tpvDiffs.push(`${where}: ${diffs.join('; ')}`);
        }
      }
      const last = assembler.flush();
      if (last) emitted.push(last);

      it('agrees with every gpsd TPV on mode, position, altitude, speed, track and time', () => {
        expect(tpvCompared).toBeGreaterThan(0);
        expect(tpvDiffs).toEqual([]);
      });

      it('agrees with gpsd SKY on hdop, pdop, vdop and satellites used, epoch by epoch', () => {
        const diffs: string[] = [];
        let compared = 0;
        for (const fix of emitted) {
          const sky = skyByEpoch.get(fix.timeOfDayMs);
          if (!sky) continue;
          compared += 1;
          for (const [field, mine] of [
            ['hdop', fix.hdop],
            ['pdop', fix.pdop],
            ['vdop', fix.vdop],
          ] as const) {
            const theirs = sky[field];
            if (theirs !== undefined && !close(mine, theirs, TOLERANCE.dop)) {
              diffs.push(`${fix.timeOfDayMs}: ${field} ${mine} vs ${theirs}`);
            }
          }
          // gpsd cannot place this receiver's Galileo and BeiDou satellites
          // (NMEA 4.10 system ids) in its sky view, so its uSat stays partial
          // (1..9); the receiver's own GNS sentence gives the combined count.
          const fullSky = fullSkyByEpoch.get(fix.timeOfDayMs);
          const completeSky = fullSky && fullSky.nSat === fix.satellitesInView ? fullSky : sky;
          const usedRef =
            name === 'telit-pls83-w' ? gnsUsedByEpoch.get(fix.timeOfDayMs) : completeSky.uSat;
          if (usedRef !== undefined && fix.satellitesUsed !== usedRef) {
            diffs.push(`${fix.timeOfDayMs}: uSat ${fix.satellitesUsed} vs ${usedRef}`);
          }
        }
        expect(diffs).toEqual([]);
        if (name !== 'ublox-lea-5q') expect(compared).toBeGreaterThan(0);
      });

      it('emits fixes only with the date the receiver sent, never the host clock', () => {
        const thisYear = new Date().getUTCFullYear();
        for (const fix of emitted) {
          if (fix.time !== null) expect(new Date(fix.time).getUTCFullYear()).toBeLessThan(thisYear);
        }
      });
    });
  }
});
