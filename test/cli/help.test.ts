import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { runInProcess } from './capture.js';

const COMMANDS = [
  'tail',
  'publish',
  'status',
  'bindings',
  'dlq',
  'dlq stats',
  'dlq ls',
  'dlq show',
  'dlq replay',
  'dlq purge',
  'asyncapi',
] as const;

describe('cli help', () => {
  it('cli help - the program lists every command, the environment and the exit codes', async () => {
    const { code, stdout, stderr } = await runInProcess(['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatchSnapshot();
  });

  it.each(COMMANDS)('cli help - %s --help shows its arguments, options and examples', async (command) => {
    const { code, stdout } = await runInProcess([...command.split(' '), '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: rx-pubsub ${command}`);
    expect(stdout).toContain(`Examples:\n  $ rx-pubsub ${command}`);
    expect(stdout).toMatchSnapshot();
  });

  it('cli help - help wraps at 80 columns and shows no password, whatever AMQP_URL holds', async () => {
    const secret = 'amqp://ops:hunter2@rabbit.internal:5672';
    for (const command of COMMANDS) {
      const { stdout } = await runInProcess([...command.split(' '), '--help'], { AMQP_URL: secret });
      expect(stdout).not.toContain('hunter2');
      expect(Math.max(...stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
    }
  });

  it('cli help - the real process prints the same help, exits 0 and writes no escape codes', async () => {
    const { code, stdout, stderr } = await runCli(['status', '--help'], { env: { NO_COLOR: undefined } });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe((await runInProcess(['status', '--help'])).stdout);
    expect(stdout).not.toContain('\u001b[');
  });
});
