import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that disturb the whole broker (`rabbitmqctl close_all_connections`,
 * stopping the app) are named `*.serial.test.ts`. They run in the `serial`
 * project: one file at a time, and only after every file of the `parallel`
 * project has finished (`sequence.groupOrder` runs groups lowest first, never
 * side by side). All other files use unique queue and exchange names and run
 * in parallel.
 */
const SERIAL_TESTS = 'test/**/*.serial.test.ts';

export default defineConfig({
  test: {
    // Runs once, in the main process, before any project: finds (or starts)
    // the broker and provides its URL to every project through `inject`.
    globalSetup: ['test/support/global-setup.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      reporter: ['text', 'html', 'json-summary'],
      reportsDirectory: 'coverage',
    },
    projects: [
      {
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, SERIAL_TESTS],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'serial',
          include: [SERIAL_TESTS],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
