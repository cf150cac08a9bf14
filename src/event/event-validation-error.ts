import { ConfigError, ErrorCode, show } from '../errors.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** The most issues an error message lists; the `issues` property has them all. */
const MAX_LISTED = 10;

/**
 * An event's `data` failed the schema of its definition: thrown (rejected)
 * by `publish` on a bus whose catalog has the event type. `issues` are the
 * schema library's, unchanged; the message lists them with their paths
 * (`data.items[0].sku: Invalid input: expected string, received number`).
 *
 * On the consuming side the same check dead-letters the delivery: its
 * `DeliveryError` (`BAD_MESSAGE`) has this error as `cause`.
 */
export class EventValidationError extends ConfigError {
  /** `'EventValidationError'`: its `code` is `INVALID_DATA`, as a {@link ConfigError} (not retriable). */
  override readonly name: string = 'EventValidationError';
  /** The event type, `domain.action`. */
  readonly routingKey: string;
  /** The version of the definition whose schema refused the data. */
  readonly version: number;
  /** Every issue the schema reported, as its library gave them (message and path); frozen. */
  readonly issues: readonly StandardSchemaV1.Issue[];

  constructor(routingKey: string, version: number, issues: readonly StandardSchemaV1.Issue[]) {
    super(ErrorCode.INVALID_DATA, `${routingKey} version ${version}: data does not match the schema: ${describeIssues(issues)}`);
    this.routingKey = routingKey;
    this.version = version;
    this.issues = Object.freeze([...issues]);
  }
}

/** `data.total: expected number; data.items[0]: required` (at most 10, then `(+N more)`). */
export function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  // Issues come from a third-party schema library: a message that is not a string is shown, not trusted to print.
  const listed = issues
    .slice(0, MAX_LISTED)
    .map((issue) => `${pathOf(issue.path)}: ${typeof issue.message === 'string' ? issue.message : show(issue.message)}`);
  if (issues.length > MAX_LISTED) listed.push(`(+${issues.length - MAX_LISTED} more)`);
  return listed.length > 0 ? listed.join('; ') : 'the schema gave no issue';
}

function pathOf(path: StandardSchemaV1.Issue['path']): string {
  let out = 'data';
  for (const segment of path ?? []) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the issues come from a third-party schema library
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${show(key)}]`;
  }
  return out;
}
