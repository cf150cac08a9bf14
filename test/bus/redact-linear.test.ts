/**
 * redactText (added to every failed delivery's reason, before it is cut to 1,000 characters, and to every
 * string a log line carries) was quadratic in the length of a word: `[a-z][a-z0-9+.-]*` tried every letter of
 * a long run as a scheme's start. A handler failing with a 300 KB message (an HTTP error body, a big payload
 * quoted in a validation error) blocked the event loop for ~45 s: every publish and delivery of the process
 * stalled (test/broker/dead-letters.test.ts "a huge or non-Error failure" timed out on both transports).
 */
import { describe, expect, it } from 'vitest';
import { redactText } from '../../src/redact-url.js';

describe('review - redactText is linear', () => {
  it.each([
    ['a long word', `boom ${'x'.repeat(300_000)}`],
    ['a long word after a URL', `amqp://u:p@h ${'x'.repeat(300_000)}`],
    ['many schemes without an @', 'a://b:c'.repeat(40_000)],
  ])('redactText - %s takes milliseconds', (_what, text) => {
    const started = performance.now();
    redactText(text);
    // A bound on the quadratic blow-up (45 s before the fix), not a speed figure.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it.each([
    ['amqp://guest:s3cr3t@127.0.0.1:5672', 'amqp://guest:***@127.0.0.1:5672'],
    ['failed: postgres://app:p@ss:w0rd@db:5432/x (timeout)', 'failed: postgres://app:***@db:5432/x (timeout)'],
    ['1amqp://u:s3cr3t@h', '1amqp://u:***@h'],
    [`${'x'.repeat(100)}amqps://u:s3cr3t@h`, `${'x'.repeat(100)}amqps://u:***@h`],
    ['"mongodb+srv://u:s3cr3t@cluster/db"', '"mongodb+srv://u:***@cluster/db"'],
  ])('redactText - %s is still redacted', (text, redacted) => {
    expect(redactText(text)).toBe(redacted);
  });
});
