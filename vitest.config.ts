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
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
