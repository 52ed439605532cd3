import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { UserConfig } from 'vite';

/** The renderer's sources, shared by the desktop (electron-vite) and web builds. */
export const RENDERER_ROOT = fileURLToPath(new URL('./src/renderer', import.meta.url));

/**
 * Workspace packages export their TypeScript sources under this condition,
 * so the console bundles @fleetline/protocol straight from source and
 * builds on a clone where nothing else was built.
 */
const SOURCE_CONDITIONS = ['fleetline-source', 'module', 'browser', 'development|production'];

export function rendererConfig(): UserConfig {
  return {
    root: RENDERER_ROOT,
    plugins: [react()],
    resolve: { conditions: SOURCE_CONDITIONS },
    build: {
      // The console runs in current Chromium (Electron 40, or a dispatcher's browser).
      target: 'chrome120',
      minify: true,
      chunkSizeWarningLimit: 2500,
      sourcemap: true,
    },
  };
}
