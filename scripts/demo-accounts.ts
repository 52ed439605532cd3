import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '@fleetline/server';
import type { Core } from '@fleetline/server';

/** A demo vehicle the launcher registered, with the device token its companion uses. */
export interface DemoAccount {
  name: string;
  plate: string;
  token: string;
}

export const DEMO_FLEET_NAME = 'Demo fleet';
/** City speed limit for the demo fleet: overspeed events happen now and then. */
const DEMO_LIMIT_KMH = 50;

const DRIVER_NAMES = [
  'Anna Becker',
  'Ben Okafor',
  'Carla Rossi',
  'Deniz Yilmaz',
  'Emma Schulz',
  'Felix Wagner',
  'Greta Nowak',
  'Hassan Amiri',
  'Ines Costa',
  'Jonas Weber',
  'Katarzyna Wójcik',
  'Lukas Braun',
  'Mara Hoffmann',
  'Nils Petersen',
  'Olga Ivanova',
  'Paul Richter',
  'Quentin Marchand',
  'Rosa Fischer',
  'Samir Haddad',
  'Tina Koch',
  'Uwe Schröder',
  'Vera Lang',
  'Wim de Vries',
  'Xenia Popescu',
  'Yusuf Demir',
  'Zoe Hartmann',
  'Aylin Kaya',
  'Bruno Santos',
  'Chiara Bianchi',
  'David Klein',
];

/**
 * Makes sure the demo fleet exists: a fleet, a driver per vehicle and the
 * vehicles with working device tokens. Tokens are shown only when issued, so
 * they are kept in DATA_DIR/demo-fleet.json (readable by this user only) and
 * a token that no longer works (revoked, or the file lost) is issued afresh.
 */
export async function provisionDemoFleet(
  core: Core,
  size: number,
  dataDir: string,
): Promise<DemoAccount[]> {
  const file = path.join(dataDir, 'demo-fleet.json');
  const known = readTokens(file);
  const { accounts } = core;
  const fleetId = await accounts.findFleetId(DEMO_FLEET_NAME).catch(async (err: unknown) => {
    if (!(err instanceof AppError) || err.slug !== 'not-found') throw err;
    return (
      await accounts.createFleet({ name: DEMO_FLEET_NAME, overspeedLimitKmh: DEMO_LIMIT_KMH })
    ).id;
  });

  const result: DemoAccount[] = [];
  for (let i = 1; i <= size; i++) {
    const plate = `DEMO-${String(i).padStart(3, '0')}`;
    const name = `Van ${String(i).padStart(2, '0')}`;
    const driverUserId = await demoDriver(core, i, fleetId);
    const existing = await accounts.findVehicleByPlate(plate);
    const stored = known.get(plate);
    let token: string;
    if (existing && stored && (await accounts.isDeviceTokenActive(stored))) {
      token = stored;
    } else if (existing) {
      token = (await accounts.replaceDevice(existing.id)).token;
    } else {
      token = (await accounts.registerVehicle({ name, plate, fleetIds: [fleetId], driverUserId }))
        .device.token;
    }
    result.push({ name: existing?.name ?? name, plate, token });
  }
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ vehicles: result }, null, 2), { mode: 0o600 });
  return result;
}

async function demoDriver(core: Core, index: number, fleetId: number): Promise<number> {
  const email = `demo-driver-${index}@fleetline.local`;
  const existing = await core.repos.users.findByEmail(email);
  if (existing) return existing.id;
  const name = DRIVER_NAMES[(index - 1) % DRIVER_NAMES.length]!;
  // Demo drivers never log in: the password is random and thrown away.
  const password = `${crypto.randomUUID()}${crypto.randomUUID()}`;
  return (
    await core.accounts.createUser({ email, name, password, role: 'driver', fleetIds: [fleetId] })
  ).id;
}

function readTokens(file: string): Map<string, string> {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      vehicles?: { plate?: unknown; token?: unknown }[];
    };
    return new Map(
      (parsed.vehicles ?? []).flatMap((v) =>
        typeof v.plate === 'string' && typeof v.token === 'string'
          ? [[v.plate, v.token] as const]
          : [],
      ),
    );
  } catch {
    return new Map();
  }
}
