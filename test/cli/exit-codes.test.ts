import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { runInProcess } from './capture.js';

const URL_ENV = { AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672' };

describe('cli exit codes', () => {
  it('cli exit codes - no command shows the help on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runInProcess([]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('Usage: rx-pubsub [options] [command]');
  });

  it.each([
    ['an unknown command', ['nope']],
    ['an unknown option', ['tail', '--nope']],
    ['a missing required option', ['status']],
    ['a number option that is not a whole number', ['status', '--queue', 'q', '--interval', '0.5']],
    ['a retry delay list with a hole', ['status', '--queue', 'q', '--retry-delays', '1000,,5000']],
    ['a pattern no routing key can match', ['tail', 'order.#']],
    ['a routing key that is not domain.action', ['publish', 'order']],
    ['a domain with a forbidden character', ['publish', 'or der.created']],
    ['--data that is not JSON', ['publish', 'order.created', '--data', '{nope']],
    [
      '--data that is not plain JSON for an event (too deep)',
      ['publish', 'order.created', '--data', `${'['.repeat(200)}${']'.repeat(200)}`],
    ],
    ['two data sources', ['publish', 'order.created', '--data', '{}', '-']],
    ['a second argument other than -', ['publish', 'order.created', 'data.json']],
    ['--prune without --keep', ['bindings', '--queue', 'q', '--prune']],
    ['an empty --exchange', ['tail', '--exchange', '']],
    ['dlq stats without --queue', ['dlq', 'stats']],
    ['a dlq --error that is not a regular expression', ['dlq', 'ls', '--queue', 'q', '--error', '(']],
    ['a dlq --routing-key no routing key can match', ['dlq', 'ls', '--queue', 'q', '--routing-key', 'order.#']],
    ['a dlq --since that is no time', ['dlq', 'stats', '--queue', 'q', '--since', 'yesterday']],
    ['dlq replay --to elsewhere', ['dlq', 'replay', '--queue', 'q', '--to', 'elsewhere', '--yes']],
    ['dlq replay without --yes, and no terminal to ask on', ['dlq', 'replay', '--queue', 'q']],
    ['dlq purge without --yes, and no terminal to ask on', ['dlq', 'purge', '--queue', 'q', '--error', 'x']],
  ])('cli exit codes - %s is a usage error: exit 2, one error line', async (_, args) => {
    const { code, stdout, stderr } = await runInProcess(args, URL_ENV);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: /);
    expect(stdout).toBe('');
  });

  it('cli exit codes - dlq without a command shows its commands on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runInProcess(['dlq'], URL_ENV);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('Usage: rx-pubsub dlq [options] [command]');
  });

  it('cli exit codes - dlq replay and purge without --yes and no terminal say how to go ahead, before connecting', async () => {
    const { code, stderr } = await runInProcess(['dlq', 'replay', '--queue', 'q', '--url', 'amqp://127.0.0.1:9']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: dlq replay changes the queues: add --yes to go ahead, or --dry-run to see what it would touch/);
  });

  it('cli exit codes - no --url and no AMQP_URL is a usage error naming both', async () => {
    const { code, stderr } = await runInProcess(['tail']);
    expect(code).toBe(2);
    expect(stderr).toContain('give --url or set AMQP_URL');
  });

  it('cli exit codes - a memory:// URL is refused: the CLI would get an empty in-process broker of its own', async () => {
    const { code, stderr } = await runInProcess(['publish', 'order.created', '--url', 'memory://demo']);
    expect(code).toBe(2);
    expect(stderr).toContain('in-process broker');
  });

  it('cli exit codes - the process exits 2 on a usage error and 0 for --version', async () => {
    expect((await runCli(['publish', 'order'], { env: URL_ENV })).code).toBe(2);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('cli exit codes - a broker that cannot be reached is a failure: exit 1, one line, the password hidden', async () => {
    const url = 'amqp://ops:hunter2@127.0.0.1:9/';
    const { code, stdout, stderr } = await runCli(['status', '--queue', 'q', '--url', url, '--timeout', '2000']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: cannot connect to amqp:\/\/ops:\*\*\*@127\.0\.0\.1:9\/: .* \[CONNECTION_FAILED\]\n$/);
    expect(stderr).not.toContain('hunter2');
  });

  it('cli exit codes - AMQP_URL with a password never shows it, on a failure either', async () => {
    const { code, stderr } = await runCli(['tail', '--timeout', '2000'], { env: { AMQP_URL: 'amqp://ops:hunter2@127.0.0.1:9' } });
    expect(code).toBe(1);
    expect(stderr).not.toContain('hunter2');
    expect(stderr).toContain('ops:***@');
  });
});
