import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../../src/cli/asyncapi-document.js';
import { defineEvent, type StandardSchemaV1 } from '../../src/index.js';
import { ALL_EVENTS } from '../../examples/events.js';

/** Every `$ref` in the document, and whether it points at something in it. */
function refsOf(document: unknown): { ref: string; resolves: boolean }[] {
  const refs: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null)
      for (const [key, item] of Object.entries(value)) {
        if (key === '$ref' && typeof item === 'string') refs.push(item);
        else walk(item);
      }
  };
  walk(document);
  const resolve = (ref: string): unknown =>
    ref
      .slice(2)
      .split('/')
      .map((segment) => decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
  return refs.map((ref) => ({ ref, resolves: ref.startsWith('#/') && resolve(ref) !== undefined }));
}

/** A Standard Schema that validates but cannot say what it accepts as JSON Schema. */
const opaque: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'acme', validate: (value) => ({ value }) } };

describe('cli asyncapi document', () => {
  const { document, notes } = asyncApiDocument(ALL_EVENTS, { exchange: 'shop-events' });
  const doc = document as {
    asyncapi: string;
    channels: Record<string, { address: string; bindings: { amqp: { exchange: { name: string; type: string } } } }>;
    operations: Record<string, { action: string }>;
    components: {
      messages: Record<string, { payload: { properties: Record<string, unknown> }; title: string }>;
      schemas: Record<string, { required?: string[] }>;
    };
  };

  it('cli asyncapi document - AsyncAPI 3.0: a channel per routing key on the topic exchange, a send and a receive per channel', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels)).toEqual([
      'order.cancelled',
      'order.created',
      'order.paid',
      'order.shipped',
      'user.registered',
      'user.updated',
    ]);
    expect(doc.channels['order.paid']?.address).toBe('order.paid');
    expect(doc.channels['order.paid']?.bindings.amqp.exchange).toMatchObject({ name: 'shop-events', type: 'topic' });
    expect(Object.values(doc.operations).map((operation) => operation.action)).toEqual(Array(6).fill(['send', 'receive']).flat());
    expect(notes).toEqual([]);
  });

  it('cli asyncapi document - a message is the event as it travels; data is the JSON Schema of the definition (zod 4)', () => {
    const message = doc.components.messages['order.created'];
    expect(message?.title).toBe('order.created v2');
    expect(message?.payload.properties).toMatchObject({
      domain: { const: 'order' },
      action: { const: 'created' },
      version: { const: 2 },
      data: { $ref: '#/components/schemas/order.created.data' },
    });
    expect(doc.components.schemas['order.created.data']?.required).toEqual(['order_id', 'user_id', 'items', 'total', 'currency']);
    expect(doc.components.schemas['order.created.data']).not.toHaveProperty('$schema');
  });

  it('cli asyncapi document - every $ref points inside the document', () => {
    const refs = refsOf(document);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((ref) => !ref.resolves)).toEqual([]);
  });

  it('cli asyncapi document - recursive and shared schemas: their definitions move to components.schemas, every $ref still resolves', () => {
    const Money = z.object({ amount: z.number() }).meta({ id: 'Money' });
    const Category = z.object({
      name: z.string(),
      price: Money,
      get children() {
        return z.array(Category);
      },
    });
    const result = asyncApiDocument([defineEvent('catalog', 'changed', { schema: Category })], { exchange: 'events' });
    const schemas = (result.document.components as { schemas: Record<string, unknown> }).schemas;
    expect(Object.keys(schemas).sort()).toEqual(['catalog.changed.Money', 'catalog.changed.data']);
    expect(JSON.stringify(schemas['catalog.changed.data'])).toContain('"$ref":"#/components/schemas/catalog.changed.data"');
    expect(refsOf(result.document).filter((ref) => !ref.resolves)).toEqual([]);
  });

  it('cli asyncapi document - a schema that cannot give a JSON Schema leaves data open, with a note naming the event and the vendor', () => {
    const result = asyncApiDocument([defineEvent('legacy', 'thing', { schema: opaque })], { exchange: 'events' });
    expect(result.notes).toEqual([expect.stringMatching(/^legacy\.thing: its acme schema gives no JSON Schema/)]);
    const data = (result.document.components as { schemas: Record<string, { description: string }> }).schemas['legacy.thing.data'];
    expect(data?.description).toMatch(/^Any JSON: /);
    expect(Object.keys(data ?? {})).toEqual(['description']);
  });

  it('cli asyncapi document - a conversion that throws (a Date in zod) leaves data open, the reason in the note', () => {
    const result = asyncApiDocument([defineEvent('order', 'dated', { schema: z.object({ at: z.date() }) })], { exchange: 'events' });
    expect(result.notes).toEqual([expect.stringContaining('Date cannot be represented in JSON Schema')]);
  });

  it('cli asyncapi document - without the Standard JSON Schema interface, the fallback (z.toJSONSchema for zod 4.0/4.1) gives the schema', () => {
    const result = asyncApiDocument([defineEvent('legacy', 'thing', { schema: opaque })], {
      exchange: 'events',
      fallback: (schema) => (schema === opaque ? { type: 'object', required: ['x'] } : undefined),
    });
    expect(result.notes).toEqual([]);
    expect((result.document.components as { schemas: Record<string, unknown> }).schemas['legacy.thing.data']).toEqual({
      type: 'object',
      required: ['x'],
    });
  });

  it('cli asyncapi document - a definition without a schema: data is any JSON, and that is no note', () => {
    const result = asyncApiDocument([defineEvent('user', 'pinged')], { exchange: 'events', title: 'Pings', version: '2.1.0' });
    expect(result.notes).toEqual([]);
    expect(result.document.info).toMatchObject({ title: 'Pings', version: '2.1.0' });
  });
});
