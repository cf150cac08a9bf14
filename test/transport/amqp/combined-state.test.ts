import { describe, expect, it } from 'vitest';
import { combinedState } from '../../../src/transport/amqp/combined-state.js';
import type { ConnectionState } from '../../../src/transport/transport.js';

const connected: ConnectionState = { status: 'connected', url: 'amqp://a' };
const connectedB: ConnectionState = { status: 'connected', url: 'amqp://b' };
const connecting: ConnectionState = { status: 'connecting' };
const blocked: ConnectionState = { status: 'blocked', reason: 'low on memory' };
const disconnected: ConnectionState = { status: 'disconnected', reason: 'socket closed' };
const closed: ConnectionState = { status: 'closed' };

describe('combinedState', () => {
  it.each<[string, ConnectionState[], ConnectionState]>([
    ['disconnected beats connecting', [connecting, disconnected], disconnected],
    ['disconnected beats blocked', [blocked, disconnected], disconnected],
    ['disconnected beats connected', [connected, disconnected], disconnected],
    ['connecting beats blocked', [blocked, connecting], connecting],
    ['connecting beats connected', [connected, connecting], connecting],
    ['blocked beats connected', [connected, blocked], blocked],
    ['the worst of four', [connected, blocked, disconnected, connecting], disconnected],
  ])('combinedState - the worst state wins: %s, in either order', (_label, states, worst) => {
    expect(combinedState(states)).toBe(worst);
    expect(combinedState([...states].reverse())).toBe(worst);
  });

  it('combinedState - connected only when every connection is, reporting the first one', () => {
    expect(combinedState([connected, connectedB])).toBe(connected);
    expect(combinedState([connected])).toBe(connected);
  });

  it('combinedState - keeps the reason of the worst state', () => {
    expect(combinedState([connected, blocked])).toStrictEqual({ status: 'blocked', reason: 'low on memory' });
  });

  it.each<[string, ConnectionState[], ConnectionState]>([
    ['connected', [closed, connected], connected],
    ['connecting', [connecting, closed], connecting],
    ['blocked', [closed, blocked], blocked],
    ['disconnected', [disconnected, closed], disconnected],
  ])("combinedState - with one connection closed, the other's state (%s) shows", (_label, states, expected) => {
    expect(combinedState(states)).toBe(expected);
  });

  it('combinedState - closed only when all are closed', () => {
    expect(combinedState([closed, closed])).toStrictEqual({ status: 'closed' });
    expect(combinedState([closed])).toStrictEqual({ status: 'closed' });
  });

  it('combinedState - no connections at all is closed', () => {
    expect(combinedState([])).toStrictEqual({ status: 'closed' });
  });
});
