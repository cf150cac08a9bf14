import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/cli-context.js';
import { agoText, bodyText, entryRecord, fullEntryRecord, listTable, statsRecord } from '../../src/cli/dead-letter-output.js';
import { createOutput } from '../../src/cli/output.js';
import { entryOf } from '../../src/dead-letters/dead-letter-entry.js';
import { StatsTally } from '../../src/dead-letters/dead-letter-stats.js';
import { encodeEvent } from '../../src/blocks.js';
import { createEvent } from '../../src/index.js';
import { deadLetterProperties } from '../support/dead-letters.js';

function output(columns: number | undefined) {
  const cli: CliContext = {
    env: { NO_COLOR: '1' },
    cwd: '/',
    stdin: process.stdin,
    stdout: { write: () => true, isTTY: columns !== undefined, columns },
    stderr: { write: () => true },
    stopRequested: () => new Promise(() => {}),
  };
  return createOutput(cli, false);
}

const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } });
const error = `payment provider down: ${'x'.repeat(150)}`;
const failedAt = new Date('2026-12-04T08:00:00Z');
const entry = entryOf(
  { body: encodeEvent(event), properties: deadLetterProperties(event, error, 'order.*', failedAt), exchange: '', routingKey: 'q.dlq' },
  3,
);
const binary = entryOf({ body: Buffer.from([0xff, 0x00, 0xfe]), properties: {}, exchange: '', routingKey: 'q.dlq' }, 0);

describe('cli dead-letter output', () => {
  it.each([
    [5_000, '5s ago'],
    [125_000, '2m ago'],
    [3 * 3_600_000 + 5, '3h ago'],
    [3 * 86_400_000, '3d ago'],
  ])('cli dead-letter output - %i ms before is %s', (ms, text) => {
    expect(agoText(new Date(1_000_000_000_000 - ms), 1_000_000_000_000)).toBe(text);
    expect(agoText(undefined)).toBe('-');
  });

  it('cli dead-letter output - ls cuts the error to a terminal width, and keeps it whole when piped', () => {
    const onTerminal = listTable(output(120), [entry]);
    expect(Math.max(...onTerminal.split('\n').map((line) => line.length))).toBeLessThanOrEqual(120);
    expect(onTerminal).toContain('…');
    expect(listTable(output(undefined), [entry])).toContain(error);
  });

  it('cli dead-letter output - a record has the event; in full, its history, headers and body too; a binary body is base64', () => {
    expect(entryRecord(entry)).toMatchObject({
      position: 3,
      messageId: event.id,
      routingKey: 'order.created',
      error: `order.*: ${error}`,
      patterns: ['order.*'],
      attempts: 1,
      lastFailedAt: failedAt.toISOString(),
      event,
    });
    const full = fullEntryRecord(entry);
    expect(full).toMatchObject({ history: [`1: order.*: ${error}`], headers: { 'rx-pubsub-patterns': 'order.*' } });
    expect(JSON.parse(full.body as string)).toEqual(event);
    expect(entryRecord(binary)).toMatchObject({ event: null, badBody: expect.stringMatching(/not valid UTF-8/) as string });
    expect(bodyText(binary)).toBe('base64:/wD+');
  });

  it('cli dead-letter output - stats as JSON: total and each grouping with ISO times', () => {
    const tally = new StatsTally();
    tally.add(entry, true);
    tally.add(binary, false);
    expect(statsRecord('q.dlq', tally.result())).toEqual({
      queue: 'q.dlq',
      examined: 2,
      total: 1,
      oldest: failedAt.toISOString(),
      newest: failedAt.toISOString(),
      byError: [{ key: `order.*: ${error}`, count: 1, oldest: failedAt.toISOString(), newest: failedAt.toISOString() }],
      byPattern: [{ key: 'order.*', count: 1, oldest: failedAt.toISOString(), newest: failedAt.toISOString() }],
      byRoutingKey: [{ key: 'order.created', count: 1, oldest: failedAt.toISOString(), newest: failedAt.toISOString() }],
    });
  });
});
