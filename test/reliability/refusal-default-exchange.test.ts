/**
 * The publisher's culprit rule (amqp-publisher.ts `blames`) compares the exchange the broker's close
 * reason names with the message's. RabbitMQ names the default exchange 'amq.default' in a refusal
 * ("ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'svc'"), while the
 * message says ''. Nothing is blamed, every unconfirmed publish is sent again, the refused one first,
 * and the channel closes again: the refused publish and every publish written after it wait out
 * publishTimeoutMs. With a least-privilege user (no write on the default exchange), every dead-letter
 * and retry copy does that, stalling the service's publishing for 30 s each.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRxPubsubError, type RxPubsubError } from '../../src/index.js';
import { amqpUrl, teardown, uniqueName } from '../support/bus.js';
import { rabbitmqctl } from '../support/broker.js';
import { connectTransport, message } from '../support/transports.js';

async function restrictedUrl(): Promise<string> {
  const user = uniqueName('rv-user');
  const password = randomBytes(8).toString('hex');
  await rabbitmqctl('add_user', user, password);
  teardown(() => rabbitmqctl('delete_user', user));
  await rabbitmqctl('set_permissions', '-p', '/', user, '.*', '^(?!amq\\.default$).*', '.*');
  const url = new URL(amqpUrl());
  url.username = user;
  url.password = password;
  return url.toString();
}

describe('review - a refusal of the default exchange (amqp)', () => {
  it('publisher - a publish to the default exchange refused by permissions rejects alone with PUBLISH_REFUSED, not retriable; the next publish goes out', async () => {
    const exchange = uniqueName('rv-perm-x');
    const transport = await connectTransport(await restrictedUrl(), exchange);
    const started = Date.now();
    const refused = transport.publish(message('', 'some-queue', { timeoutMs: 4_000 })).then(() => undefined, (error: unknown) => error);
    const innocent = transport.publish(message(exchange, 'order.created', { timeoutMs: 4_000 })).then(() => 'confirmed', (error: unknown) => error);
    const error = await refused;
    expect(isRxPubsubError(error, ErrorCode.PUBLISH_REFUSED)).toBe(true);
    // Waiting does not give a user a permission: a retry would only close the channel again.
    expect((error as RxPubsubError).retriable).toBe(false);
    expect(await innocent).toBe('confirmed');
    expect(Date.now() - started).toBeLessThan(3_500);
  });
});
