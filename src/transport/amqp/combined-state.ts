import type { ConnectionState } from '../transport.js';

const RANK = { closed: 0, connected: 1, degraded: 2, blocked: 3, connecting: 4, disconnected: 5 } as const;

/**
 * One state for several connections (publishing and consuming): the worst
 * of them, so `connected` means every one is up, and `closed` that all are.
 */
export function combinedState(states: readonly ConnectionState[]): ConnectionState {
  const open = states.filter((s) => s.status !== 'closed');
  if (open.length === 0) return { status: 'closed' };
  return open.reduce((worst, state) => (RANK[state.status] > RANK[worst.status] ? state : worst));
}
