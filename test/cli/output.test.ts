import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/cli-context.js';
import { eventLine, foreignLine } from '../../src/cli/event-line.js';
import { colorsEnabled, createOutput, renderTable } from '../../src/cli/output.js';
import { createEvent } from '../../src/index.js';

const PLAIN = pc.createColors(false);
const COLOURED = pc.createColors(true);
const ESCAPE = '\u001b[';

function context(isTTY: boolean, env: Record<string, string> = {}): CliContext {
  return {
    env,
    cwd: '/',
    stdin: process.stdin,
    stdout: { write: () => true, isTTY, columns: 100 },
    stderr: { write: () => true },
    stopRequested: () => new Promise(() => {}),
  };
}

describe('cli output', () => {
  it.each([
    ['a terminal', true, {}, true],
    ['a pipe', false, {}, false],
    ['a pipe, even with FORCE_COLOR or CI set', false, { FORCE_COLOR: '1', CI: 'true' }, false],
    ['a terminal with NO_COLOR', true, { NO_COLOR: '1' }, false],
    ['a terminal with NO_COLOR empty (unset, per no-color.org)', true, { NO_COLOR: '' }, true],
    ['a dumb terminal', true, { TERM: 'dumb' }, false],
  ])('cli output - colours on %s: %s', (_, isTTY, env, expected) => {
    expect(colorsEnabled({ write: () => true, isTTY }, env)).toBe(expected);
    expect(createOutput(context(isTTY, env), false).colors.red('x').includes(ESCAPE)).toBe(expected);
  });

  it('cli output - a table without colours has no escape codes', () => {
    const table = renderTable(createOutput(context(false), false), ['queue', 'messages'], [['billing', '3']]);
    expect(table).not.toContain(ESCAPE);
    expect(table).toContain('│ billing │ 3        │');
  });

  it('cli output - an event line: local time, routing key, id, version when not 1, compact data', () => {
    const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1', items: [1, 2] }, id: 'e-1', version: 2 });
    const at = new Date(event.timestamp);
    const clock = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}:${String(at.getSeconds()).padStart(2, '0')}.${String(at.getMilliseconds()).padStart(3, '0')}`;
    expect(eventLine(event, PLAIN)).toBe(`${clock} order.created e-1 v2 {"order_id":"A1","items":[1,2]}`);
    expect(eventLine(event, COLOURED)).toContain(ESCAPE);
  });

  it('cli output - on a terminal the data is cut to the width, never below 20 characters', () => {
    const event = createEvent({ domain: 'order', action: 'created', data: { text: 'x'.repeat(500) }, id: 'e-1' });
    const line = eventLine(event, PLAIN, 80);
    expect(line).toHaveLength(80);
    expect(line.endsWith('…')).toBe(true);
    expect(eventLine(event, PLAIN, 10).split(' ').at(-1)).toHaveLength(20);
    expect(eventLine(event, PLAIN)).toContain('x'.repeat(500));
  });

  it('cli output - a message that is not an event is flagged with the reason and its body on one line', () => {
    const line = foreignLine(
      { routingKey: 'legacy.thing', body: Buffer.from('hello\n  world'), reason: 'body is not JSON', at: new Date() },
      PLAIN,
    );
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} legacy\.thing not an event \(body is not JSON\) hello world$/);
  });
});
