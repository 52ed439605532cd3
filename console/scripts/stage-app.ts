/**
 * Stages the desktop console for electron-builder in dist/app/: its own
 * package.json, the built main, preload and renderer (dist/electron), and a
 * node_modules holding exactly the runtime dependencies (the local store's
 * better-sqlite3 and what it requires), copied from the workspace.
 *
 * Why not package console/ as it is: npm workspaces hoist its dependencies
 * to the repository's root node_modules. electron-builder 25 finds them
 * there, but its npmRebuild step, seeing no console/node_modules, first runs
 * `npm install --production` inside the workspace, then hands
 * @electron/rebuild the nearest directory with a lockfile (the repository)
 * as the project's root, and @electron/rebuild rebuilds the root
 * node_modules' better-sqlite3 for Electron's ABI in place: afterwards the
 * server, the companion and the tests on that machine cannot load it. Staged
 * here, with a package-lock.json of its own that makes the stage the
 * project's root, the copies are found, rebuilt for Electron and unpacked
 * from the asar archive as electron-builder.yml says, and the workspace is
 * left alone.
 *
 *   npm run build:electron -w console && npx tsx console/scripts/stage-app.ts
 *
 * (`npm run package -w console` runs both, then electron-builder.)
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  type?: string;
  main?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const STAGE_DIR = path.join(consoleDir, 'dist/app');

const readPackage = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Where Node would find `name` from `fromDir`: the nearest node_modules up the tree. */
function locate(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * Copies `names` (as resolved from `fromDir`) and everything they depend on
 * into `stageModules`, flat; a dependency nested inside its parent's own
 * node_modules travels with the parent. Returns the packages copied.
 */
export function copyDependencies(
  names: readonly string[],
  fromDir: string,
  stageModules: string,
): Map<string, string> {
  const copied = new Map<string, string>();
  const queue = names.map((name) => ({ name, fromDir, optional: false }));
  for (let next = queue.shift(); next; next = queue.shift()) {
    const source = locate(next.name, next.fromDir);
    if (!source) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed from ${next.fromDir}) is not installed`);
    }
    const pkg = readPackage(source);
    // Nested under a package already copied: it came along with it.
    const parent = [...copied.values()].find((dir) => source.startsWith(dir + path.sep));
    if (!parent) {
      const known = copied.get(next.name);
      if (known && known !== source)
        throw new Error(`two versions of ${next.name} (${known}, ${source}): stage them by hand`);
      if (!known) {
        cpSync(source, path.join(stageModules, next.name), { recursive: true, dereference: true });
        copied.set(next.name, source);
      }
    }
    for (const name of Object.keys(pkg.dependencies ?? {}))
      if (!copied.has(name)) queue.push({ name, fromDir: source, optional: false });
    for (const name of Object.keys(pkg.optionalDependencies ?? {}))
      if (!copied.has(name)) queue.push({ name, fromDir: source, optional: true });
  }
  return new Map([...copied].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * A package-lock.json (v3) for the stage: what is in its node_modules, by
 * version. It marks the stage as a project root of its own (see above); npm
 * could also install from it.
 */
export function stageLockfile(
  app: { name: string; version: string; dependencies: Record<string, string> },
  copied: ReadonlyMap<string, string>,
): string {
  const packages: Record<string, object> = {
    '': { name: app.name, version: app.version, dependencies: app.dependencies },
  };
  for (const [name, source] of copied) {
    const pkg = readPackage(source);
    packages[`node_modules/${name}`] = {
      version: pkg.version,
      ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}),
    };
  }
  return `${JSON.stringify({ name: app.name, version: app.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`;
}

export function stageApp(stageDir = STAGE_DIR): { dir: string; packages: string[] } {
  const pkg = readPackage(consoleDir);
  const built = path.join(consoleDir, 'dist/electron');
  if (!existsSync(path.join(built, 'main/index.js')))
    throw new Error('dist/electron is not built: run `npm run build:electron -w console` first');
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  const app = {
    // A plain name: it becomes the executable's and the package's file name.
    name: 'fleetline-console',
    productName: 'Fleetline Console',
    version: pkg.version,
    description: pkg.description,
    author: 'Fleetline <ops@fleetline.example>',
    license: 'UNLICENSED',
    type: pkg.type,
    main: pkg.main,
    dependencies: pkg.dependencies ?? {},
  };
  writeFileSync(path.join(stageDir, 'package.json'), `${JSON.stringify(app, null, 2)}\n`);
  cpSync(built, path.join(stageDir, 'dist/electron'), {
    recursive: true,
    filter: (file) => !file.endsWith('.map'),
  });
  const copied = copyDependencies(
    Object.keys(app.dependencies),
    consoleDir,
    path.join(stageDir, 'node_modules'),
  );
  writeFileSync(path.join(stageDir, 'package-lock.json'), stageLockfile(app, copied));
  return { dir: stageDir, packages: [...copied.keys()] };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const nodedir = process.env.npm_config_nodedir;
  if (nodedir)
    // Seen on a build machine: node-gyp then compiles better-sqlite3 against these headers
    // (Node's, usually) instead of Electron's, and the package cannot open its local store.
    process.stderr.write(
      `warning: npm's nodedir is set (${nodedir}): electron-builder's rebuild of better-sqlite3 ` +
        `will use the headers there, not Electron's. Unless they are Electron's, unset it ` +
        `(npm config delete nodedir) before packaging.\n`,
    );
  const { dir, packages } = stageApp();
  process.stdout.write(
    `staged ${path.relative(process.cwd(), dir)}: ${packages.length} packages (${packages.join(', ')})\n`,
  );
}
