import { describe, expect, it } from 'vitest';
import { compilePattern } from '../../src/blocks.js';
import { planBindings } from '../../src/cli/binding-plan.js';
import type { QueueBinding } from '../../src/cli/management-api.js';

const binding = (routingKey: string): QueueBinding => ({
  exchange: 'events',
  queue: 'q',
  routingKey,
  arguments: {},
  propertiesKey: routingKey,
});
const plan = (keys: string[], keep: string[]) =>
  Object.fromEntries(planBindings(keys.map(binding), keep.map(compilePattern)).map(({ binding: b, neededBy }) => [b.routingKey, neededBy]));

describe('cli bindings', () => {
  it('cli bindings - a binding is needed when it is one of the narrowest keys of a kept pattern', () => {
    expect(plan(['order.#', 'user.#', '#.created', 'legacy.key'], ['order.*', '*.created'])).toEqual({
      'order.#': ['order.*'],
      'user.#': [],
      '#.created': ['*.created'],
      'legacy.key': [],
    });
  });

  it('cli bindings - braces keep each of their keys; one key needed by two patterns names both', () => {
    expect(plan(['order.created', 'order.paid', 'order.shipped'], ['order.{created,paid}', 'order.created'])).toEqual({
      'order.created': ['order.{created,paid}', 'order.created'],
      'order.paid': ['order.{created,paid}'],
      'order.shipped': [],
    });
  });

  it('cli bindings - "*" keeps only "#": every narrower binding is redundant beside it', () => {
    expect(plan(['#', 'order.#'], ['*'])).toEqual({ '#': ['*'], 'order.#': [] });
  });

  it('cli bindings - a broader binding than a pattern needs is not kept for it (order.* does not need #)', () => {
    expect(plan(['#'], ['order.*'])).toEqual({ '#': [] });
  });
});
