import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the
// `fleetline-source` condition, so tests run without a build step.
// The rest are Vite's default conditions (defaultClientConditions and
// defaultServerConditions in vite).
const SOURCE = 'fleetline-source';
const CLIENT = ['module', 'browser', 'development|production'];
const SERVER = ['module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions: [SOURCE, ...CLIENT] },
  ssr: { resolve: { conditions: [SOURCE, ...SERVER] } },
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      // Fast password hashing in tests; production uses the default cost.
      PASSWORD_HASH_COST: '12',
    },
  },
});
