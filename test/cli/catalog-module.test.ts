import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../../src/cli/asyncapi-document.js';
import { loadCatalog } from '../../src/cli/catalog-module.js';
import { ALL_EVENTS } from '../../examples/events.js';
import { runCli } from '../support/cli.js';

const routingKeys = async (path: string, name?: string) =>
  (await loadCatalog(path, process.cwd(), name)).entries.map((e) => `${e.routingKey} v${e.version}`);

describe('cli asyncapi catalog module', () => {
  it('cli asyncapi catalog module - the one exported list is the catalog (examples/events.ts: ALL_EVENTS, not OrderCreatedV1)', async () => {
    const catalog = await loadCatalog('examples/events.ts', process.cwd());
    expect(catalog.from).toBe('ALL_EVENTS');
    expect(catalog.entries).toEqual(ALL_EVENTS);
  });

  it('cli asyncapi catalog module - a default export (an EventCatalog here) wins', async () => {
    expect(await routingKeys('test/cli/fixtures/default-catalog.ts')).toEqual(['user.registered v1', 'user.deleted v1']);
  });

  it('cli asyncapi catalog module - two lists need --export; --export picks one', async () => {
    await expect(loadCatalog('test/cli/fixtures/two-lists.ts', process.cwd())).rejects.toThrow(
      /several lists of events \(ORDER_EVENTS, USER_EVENTS\): choose one with --export/,
    );
    expect(await routingKeys('test/cli/fixtures/two-lists.ts', 'USER_EVENTS')).toEqual(['user.registered v1']);
    await expect(loadCatalog('test/cli/fixtures/two-lists.ts', process.cwd(), 'NOPE')).rejects.toThrow(/no export named NOPE/);
  });

  it('cli asyncapi catalog module - definitions exported one by one are gathered; two for one event type are refused', async () => {
    await expect(loadCatalog('test/cli/fixtures/single-definitions.ts', process.cwd())).rejects.toThrow(
      /has order\.created twice \(versions 1 and 2\)/,
    );
    expect(await routingKeys('test/cli/fixtures/single-definitions.ts', 'OrderPaid')).toEqual(['order.paid v1']);
  });

  it('cli asyncapi catalog module - a missing module is a usage error', async () => {
    await expect(loadCatalog('test/cli/fixtures/nope.ts', process.cwd())).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining('no module at'),
    });
  });

  it('cli asyncapi catalog module - the command writes the document to --out (exit 0), the same as built in-process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rx-pubsub-asyncapi-'));
    try {
      const out = join(dir, 'asyncapi.json');
      const { code, stdout, stderr } = await runCli(['asyncapi', 'examples/events.ts', '--out', out, '--exchange', 'shop']);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toBe(`wrote ${out}: 6 channels from ALL_EVENTS of examples/events.ts\n`);
      expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(asyncApiDocument(ALL_EVENTS, { exchange: 'shop' }).document);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cli asyncapi catalog module - the command: --json prints the document on one line; two lists without --export exit 2', async () => {
    const json = await runCli(['asyncapi', 'test/cli/fixtures/two-lists.ts', '--export', 'ORDER_EVENTS', '--json']);
    expect(json.code).toBe(0);
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(Object.keys((JSON.parse(json.stdout) as { channels: object }).channels)).toEqual(['order.created', 'order.paid']);
    const ambiguous = await runCli(['asyncapi', 'test/cli/fixtures/two-lists.ts']);
    expect(ambiguous.code).toBe(2);
  });
});
