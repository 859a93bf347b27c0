import { defineConfig } from 'vitest/config';

// Searches of every interleaving and whole-capture inference: minutes on a small machine, so they
// run in their own project (`npm run test:exhaustive`, and in CI), not in `npm test`.
const exhaustive = ['test/sim/explore.test.ts', 'test/sim/scenarios-ci.test.ts', 'test/trace/ftrace/infer.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: exhaustive } },
      { extends: true, test: { name: 'exhaustive', include: exhaustive, testTimeout: 600_000 } },
    ],
  },
});
