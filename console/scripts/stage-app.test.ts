import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { copyDependencies, stageLockfile } from './stage-app.js';

const require = createRequire(import.meta.url);
const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.dirname(consoleDir);

/** electron-builder 25's own helpers: how it finds the app's dependencies, and what it rebuilds. */
const { appBuilderPath } = require('app-builder-bin') as { appBuilderPath: string };
const { getProjectRootPath } = require('@electron/rebuild/lib/search-module') as {
  getProjectRootPath: (dir: string) => Promise<string>;
};
const { ModuleWalker } = require('@electron/rebuild/lib/module-walker') as {
  ModuleWalker: new (
    buildPath: string,
    projectRootPath: string,
    types: string[],
    prodDeps: Record<string, boolean>,
    onlyModules: string[] | null,
  ) => {
    walkModules(): Promise<void>;
    nodeModulesPaths: Promise<string[]>;
    findAllModulesIn(dir: string): Promise<void>;
    modulesToRebuild: string[];
  };
};

/** The native modules @electron/rebuild would rebuild for an app, as electron-builder runs it. */
async function modulesToRebuild(appDir: string, projectRoot: string): Promise<string[]> {
  const walker = new ModuleWalker(appDir, projectRoot, ['prod', 'optional'], {}, null);
  await walker.walkModules();
  for (const dir of await walker.nodeModulesPaths) await walker.findAllModulesIn(dir);
  return walker.modulesToRebuild.filter((dir) => fs.existsSync(path.join(dir, 'binding.gyp')));
}

/**
 * node-dep-tree, as electron-builder calls it (with the app directory made
 * absolute): the node_modules it will package, by name, with where each is.
 */
function packagedDependencies(appDir: string): Map<string, string> {
  const tree = JSON.parse(
    execFileSync(appBuilderPath, ['node-dep-tree', '--dir', path.resolve(appDir)], {
      encoding: 'utf8',
    }),
  ) as { dir: string; deps: { name: string }[] }[];
  return new Map(tree.flatMap((t) => t.deps.map((d) => [d.name, t.dir] as const)));
}

describe('packaging the desktop console (electron-builder 25 under npm workspaces)', () => {
  // Inside the repository, as `npm run package` stages it (console/dist is git-ignored).
  const stage = path.join(consoleDir, `dist/app-stage-test-${process.pid}`);
  afterAll(() => fs.rmSync(stage, { recursive: true, force: true }));

  it("packaging console/ in place would rebuild the workspace's own better-sqlite3 for Electron", async () => {
    // electron-builder finds the hoisted dependencies in the root node_modules...
    expect(packagedDependencies(consoleDir).get('better-sqlite3')).toBe(
      path.join(repoRoot, 'node_modules'),
    );
    // ...but with no console/node_modules its npmRebuild step runs `npm install --production`
    // in the workspace first, then hands @electron/rebuild the repository as the project root:
    expect(fs.existsSync(path.join(consoleDir, 'node_modules'))).toBe(false);
    expect(await getProjectRootPath(consoleDir)).toBe(repoRoot);
    expect(await modulesToRebuild(consoleDir, repoRoot)).toEqual([
      path.join(repoRoot, 'node_modules/better-sqlite3'),
    ]);
  });

  it('stages better-sqlite3 and what it requires, so electron-builder packages them', () => {
    fs.mkdirSync(stage, { recursive: true });
    const app = {
      name: 'fleetline-console',
      version: '0.1.0',
      dependencies: { 'better-sqlite3': '*' },
    };
    fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(app));
    const copied = copyDependencies(
      ['better-sqlite3'],
      consoleDir,
      path.join(stage, 'node_modules'),
    );
    fs.writeFileSync(path.join(stage, 'package-lock.json'), stageLockfile(app, copied));
    expect([...copied.keys()]).toEqual(
      expect.arrayContaining(['better-sqlite3', 'bindings', 'file-uri-to-path']),
    );
    // Copied from the workspace's root node_modules, the one npm installed.
    expect(copied.get('better-sqlite3')).toBe(path.join(repoRoot, 'node_modules/better-sqlite3'));
    const packaged = packagedDependencies(stage);
    for (const name of ['better-sqlite3', 'bindings', 'file-uri-to-path'])
      expect(packaged.get(name)).toBe(path.join(stage, 'node_modules'));
  });

  it("rebuilds the staged better-sqlite3 for Electron, never the workspace's own", async () => {
    // The stage's lockfile makes it the project root electron-builder hands to @electron/rebuild.
    expect(await getProjectRootPath(stage)).toBe(stage);
    expect(await modulesToRebuild(stage, stage)).toEqual([
      path.join(stage, 'node_modules/better-sqlite3'),
    ]);
    // Without it the root would be the repository, and the workspace's copy would be rebuilt too.
    expect(await modulesToRebuild(stage, repoRoot)).toContain(
      path.join(repoRoot, 'node_modules/better-sqlite3'),
    );
  });
});
