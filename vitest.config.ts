import { defineConfig } from 'vitest/config';

// `npm test` runs both projects. Integration tests share one real sandbox (two KRaft clusters + MirrorMaker 2,
// started by the global setup, reused when already up) and run one file at a time: 2 cores, real JVMs.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Unit tests first, then integration: on 2 cores, unit tests running beside the first integration file
          // (process races, fuzzing) starved its real failovers of CPU.
          sequence: { groupOrder: 0 },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
