import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vite';
import { rendererConfig } from './vite.shared.js';

/**
 * The web console: the same renderer, served by the server at /console
 * (server/src/http/console-site.ts serves console/dist/web).
 */
export default defineConfig(
  mergeConfig(rendererConfig(), {
    base: '/console/',
    build: {
      outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
      emptyOutDir: true,
    },
    server: {
      // `npm run dev:web -w console`: the API and the feed come from a local server.
      proxy: {
        '/api': 'http://127.0.0.1:8080',
        '/socket.io': { target: 'ws://127.0.0.1:8080', ws: true },
      },
    },
  }),
);
