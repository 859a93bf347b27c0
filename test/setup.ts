// Property tests run more cases in CI (KINV_FC_RUNS) than in a developer's edit loop.
import fc from 'fast-check';

const runs = Number(process.env.KINV_FC_RUNS ?? (process.env.CI ? 300 : 100));
fc.configureGlobal({ numRuns: runs });
