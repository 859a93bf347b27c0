import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Searches of every interleaving, whole-capture inference, whole capture runs under a stand-in
// QEMU, conformance of whole real captures, the fault campaigns that check real captures once
// per damage, and every bundled format checked on worker threads against the same in-process: minutes on a small machine, so they run in their own project (`npm run
// test:exhaustive`, and in CI), not in `npm test`.
const exhaustive = [
  'test/sim/explore.test.ts', 'test/sim/scenarios-ci.test.ts', 'test/trace/ftrace/infer.test.ts', 'test/report/capture.test.ts', 'test/report/quint.test.ts',
  'test/scripts/capture/boot-attempts.test.ts', 'test/props/fault-campaign.test.ts', 'test/kernel/mutants.test.ts',
  'test/conform/real-captures.test.ts', 'test/cli/check-parallel.test.ts', 'test/cli/conform-parallel.test.ts',
];

// The real captures judged again under each damage and probe set a user's capture may have (the
// false alarms found and fixed, each pinned): minutes in all, so their own project (`npm run
// test:captures`, and in CI), and `npm test` stays the quick edit loop.
const captures = ['test/kernel/**/*.test.ts'];

// A real headless Chromium (scripts/ci/install-browser.sh): its own project, `npm run test:browser`.
const browser = ['test/**/*.browser.test.ts'];

const src = (p: string): string => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  // Tests import the package by name, as users do, but run against the sources, not a build.
  resolve: { alias: [{ find: /^kinv$/, replacement: src('index.ts') }, { find: /^kinv\/vitest$/, replacement: src('vitest.ts') }, { find: /^kinv\/testing$/, replacement: src('testing/index.ts') }] },
  test: {
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    // One worker per core: vitest's default leaves one core to its main thread, which here only
    // collects results, so on a 2-core machine the suite ran in one worker.
    maxWorkers: availableParallelism(),
    // Guards against a hang, not figures: a test of a whole real capture takes seconds alone and
    // many times that on a loaded machine (speed is measured by `npm run bench`).
    testTimeout: 180_000,
    hookTimeout: 180_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: [...exhaustive, ...browser, ...captures] } },
      { extends: true, test: { name: 'captures', include: captures, exclude: exhaustive } },
      { extends: true, test: { name: 'exhaustive', include: exhaustive, testTimeout: 600_000 } },
      { extends: true, test: { name: 'browser', include: browser, testTimeout: 300_000, hookTimeout: 120_000 } },
    ],
  },
});
