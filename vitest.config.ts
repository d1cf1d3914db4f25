// Two projects: `unit` (pure logic, fakes allowed, no services) and `integration`
// (real Redis and the real OpenStack of infra/local; nothing mocked).
import { defineConfig } from 'vitest/config';

const unitFiles = [
  'packages/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'services/stages/*/test/**/*.test.ts',
  'test/mirror/test/**/*.test.ts',
  'test/infra/**/*.test.ts',
  'test/docs/**/*.test.ts',
  'test/soak/**/*.test.ts',
];
const integrationFiles = [
  'packages/*/test/**/*.int.test.ts',
  'services/*/test/**/*.int.test.ts',
  'services/stages/*/test/**/*.int.test.ts',
  'test/**/*.int.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: unitFiles,
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          environment: 'node',
          // the mirror's tests sign and parse upstream documents of their real size (Ubuntu's
          // products files are tens of MB): seconds each when every core is busy
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: integrationFiles,
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // one file at a time: the services share one small machine
          fileParallelism: false,
          globalSetup: ['test/support/integration-setup.ts'],
        },
      },
    ],
  },
});
