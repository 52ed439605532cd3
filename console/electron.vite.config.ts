import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { mergeConfig } from 'vite';
import { rendererConfig } from './vite.shared.js';

const out = (dir: string) => fileURLToPath(new URL(`./dist/electron/${dir}`, import.meta.url));
const source = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));
const NODE_CONDITIONS = ['fleetline-source', 'module', 'node', 'development|production'];

export default defineConfig({
  main: {
    resolve: { conditions: NODE_CONDITIONS },
    build: {
      outDir: out('main'),
      rollupOptions: { input: { index: source('main/index.ts') } },
      // Only package.json `dependencies` (the native store) stay external:
      // zod and the protocol are bundled into the main process.
      externalizeDeps: true,
    },
  },
  preload: {
    resolve: { conditions: NODE_CONDITIONS },
    build: {
      outDir: out('preload'),
      rollupOptions: {
        input: { index: source('preload/index.ts') },
        // A sandboxed preload cannot load modules: one CommonJS file with zod inside.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
      externalizeDeps: false,
    },
  },
  renderer: mergeConfig(rendererConfig(), {
    base: './',
    build: {
      outDir: out('renderer'),
      rollupOptions: { input: { index: source('renderer/index.html') } },
    },
  }),
});
