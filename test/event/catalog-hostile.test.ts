import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { createCatalog } from '../../src/event/catalog.js';
import { defineEvent } from '../../src/event/define-event.js';
import { revokedProxy, trappedProxy } from '../support/hostile-values.js';

describe('catalog hostile input', () => {
  it.each([
    ['a revoked Proxy', () => revokedProxy()],
    ['a Proxy of an array whose traps throw', () => trappedProxy([defineEvent('order', 'created')])],
  ])('catalog hostile input - %s as the list is INVALID_OPTIONS, not a TypeError', (_name, make) => {
    let error: unknown;
    try {
      createCatalog(make() as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
  });
});
