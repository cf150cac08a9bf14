import { describe, expect, it } from 'vitest';
import { queueTypeFix, queueTypeMismatchIn } from '../../src/transport/queue-type-mismatch.js';

// RabbitMQ 3.10.8's own words, as amqplib reports them.
const SAID = (detail: string): string =>
  `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'orders.dlq' in vhost '/': ${detail}"`;

describe('queueTypeMismatchIn', () => {
  it.each([
    ["received the value 'quorum' of type 'longstr' but current is none", 'classic', 'quorum'],
    ["received none but current is the value 'quorum' of type 'longstr'", 'quorum', 'classic'],
    ["received 'quorum' but current is 'classic'", 'classic', 'quorum'],
    ["received the value 'quorum' of type 'longstr' but current is the value 'stream' of type 'longstr'", 'stream', 'quorum'],
  ])('queueTypeMismatchIn - reads "%s" as %s existing, %s declared', (detail, existing, declared) => {
    expect(queueTypeMismatchIn(SAID(detail))).toEqual({ queue: 'orders.dlq', existing, declared });
  });

  it('queueTypeMismatchIn - another PRECONDITION_FAILED is not a type mismatch', () => {
    const other = `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'orders' in vhost '/': received the value '5' of type 'byte' but current is none`;
    expect(queueTypeMismatchIn(other)).toBeUndefined();
  });

  it('queueTypeFix - names the queue, both types and both ways out', () => {
    const fix = queueTypeFix({ queue: 'orders.dlq', existing: 'classic', declared: 'quorum' });
    expect(fix).toContain('queue "orders.dlq" exists as a classic queue and this bus declares it as a quorum queue');
    expect(fix).toContain('delete the classic ones (moving their messages first, with a shovel, if they hold any)');
    expect(fix).toContain("or keep them classic with queueOptions: { type: 'classic' }");
    expect(queueTypeFix({ queue: 'q', existing: 'stream', declared: 'quorum' })).toContain('or use another queue name');
  });
});
