/**
 * The README is the front door: what it is, install, thirty seconds of code, the two commands, where
 * the docs are. Everything else lives in docs/ (issue 16 set the bound: it had grown to 2,500 lines).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

it('readme - README.md is at most 300 lines and gives the install line and the two commands', () => {
  expect(README.split('\n').length).toBeLessThanOrEqual(300);
  expect(README).toContain('npm install rx-pubsub-amqp rxjs');
  expect(README).toMatch(/npm install && npm start/);
  expect(README).toMatch(/npm test/);
});
