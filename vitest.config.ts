import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Four projects; `npm test` (`vitest run`) runs all of them.
 *
 * - `offline`: unit, marble, memory-transport, type and package tests. They
 *   need no RabbitMQ, so `npx vitest run --project offline` passes on a
 *   machine without a broker. Its global setup only makes the run's directory
 *   in which the package tests build and pack the package once, for all of
 *   them (test/support/packed-package.ts).
 * - `broker`: tests that talk to RabbitMQ (or a TCP proxy in front of it). Its
 *   global setup finds (or starts) the broker and fails the run, loudly, when
 *   none answers; they never skip.
 * - `broker-serial`: files that disturb the whole broker
 *   (`rabbitmqctl close_all_connections`, stopping the app) are named
 *   `*.serial.test.ts`. One file at a time, and only after every file of the
 *   other projects has finished (`sequence.groupOrder` runs groups lowest
 *   first, never side by side).
 * - `cluster`: test/cluster/, against a local three-node cluster beside the
 *   broker (scripts/rabbitmq-cluster.sh; its global setup starts it when it is
 *   not up, in 30-60 s, and leaves it running for the next run). The files
 *   stop and start nodes: one at a time, but beside the offline and broker
 *   files (the nodes are not the broker's, so they disturb no other test;
 *   nothing asserts a failover time). Run after the serial group they added
 *   ~75 s of mostly waiting to the suite's wall time.
 */
const SERIAL_TESTS = 'test/**/*.serial.test.ts';
const CLUSTER_TESTS = 'test/cluster/**/*.test.ts';

/** Every file under test/broker/, and these, need a broker (not serial). */
const BROKER_TESTS = [
  'test/broker/**/*.test.ts',
  'test/event/catalog.test.ts',
  'test/reliability/hostile-arguments.test.ts',
  'test/reliability/sent-counts.test.ts',
  'test/reliability/shared-queue.test.ts',
  'test/reliability/x-death.test.ts',
  'test/docs/examples-kit.test.ts',
  'test/docs/examples.test.ts',
  'test/docs/docs-run.test.ts',
  'test/docs/doc-runs-broker.test.ts',
  'test/reliability/ack-coalescing.test.ts',
  'test/reliability/bad-input.property.test.ts',
  'test/reliability/close-deadline.test.ts',
  'test/reliability/close-errors.test.ts',
  'test/reliability/consumer-status.test.ts',
  'test/reliability/dead-letter-size.test.ts',
  'test/reliability/forged-headers.test.ts',
  'test/reliability/logger.test.ts',
  'test/reliability/pipeline-survives.test.ts',
  'test/reliability/poison.test.ts',
  'test/reliability/publish-flow.test.ts',
  'test/reliability/publisher-faults.test.ts',
  'test/reliability/retries.test.ts',
  'test/reliability/shutdown.test.ts',
  'test/reliability/stale-acks.test.ts',
  'test/reliability/close-deadline-exit.test.ts',
  'test/reliability/close-twice-deadline.test.ts',
  'test/bus/connect-transient-tls.test.ts',
  'test/reliability/forged-x-death.test.ts',
  'test/reliability/handler-teardown-crash.test.ts',
  'test/reliability/memory-exit.test.ts',
  'test/reliability/non-finite-header.test.ts',
  'test/bus/pipeline-reason-secret.test.ts',
  'test/bus/pipeline-restart-close.test.ts',
  'test/reliability/refusal-default-exchange.test.ts',
  'test/bus/state-observer-crash.test.ts',
  'test/support/broker.test.ts',
  'test/testing/faults.test.ts',
  'test/bus/transport-option.test.ts',
  'test/bus/secrets.test.ts',
];

const BROKER_SETUP = ['test/support/global-setup.ts'];

export default defineConfig({
  test: {
    // Vitest's default is one worker per core minus one: a single file at a time on a 2-core CI machine,
    // where most broker files spend their time waiting on RabbitMQ, timers and child processes (the
    // suite's own CPU was ~6.5 min of a 22 min run under load). Three files at a time keep both cores busy.
    // The serial and cluster groups still run one file at a time (fileParallelism: false).
    maxWorkers: 3,
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      reporter: ['text', 'html', 'json-summary'],
      reportsDirectory: 'coverage',
    },
    projects: [
      {
        test: {
          name: 'offline',
          globalSetup: ['test/support/package-setup.ts'],
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, SERIAL_TESTS, CLUSTER_TESTS, ...BROKER_TESTS],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'broker',
          // Runs once, in the main process, before this project's files: finds
          // (or starts) the broker and provides its URL through `inject`.
          globalSetup: BROKER_SETUP,
          include: BROKER_TESTS,
          exclude: [...configDefaults.exclude, SERIAL_TESTS],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'broker-serial',
          globalSetup: BROKER_SETUP,
          include: [SERIAL_TESTS],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'cluster',
          globalSetup: ['test/support/cluster-setup.ts'],
          include: [CLUSTER_TESTS],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 0 },
        },
      },
    ],
  },
});
