import { expect, it } from 'vitest';
import { closeAllConnections, rawConnection, waitFor } from './broker.js';

// Serial: closeAllConnections cuts every connection on the broker, so this
// file runs alone, after the parallel files (see vitest.config.ts).

it('broker support - closeAllConnections cuts open connections', async () => {
  const connection = await rawConnection();
  let closed = false;
  connection.on('close', () => {
    closed = true;
  });

  await closeAllConnections();

  await waitFor(() => closed, { timeoutMs: 10_000, description: 'the raw connection to be closed by the broker' });
  expect(closed).toBe(true);
});
