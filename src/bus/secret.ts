import { redactUrl } from '../redact-url.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A value that must not leak: `util.inspect` (any depth, `showHidden`),
 * `JSON.stringify`, `String()` and template literals show `redacted` (by
 * default `[redacted]`) instead. The value is held in a `#private` field,
 * which neither inspection nor serialisation reaches; `reveal()` is for the
 * one place that needs it (the transport factory).
 */
export class Secret<T> {
  readonly #value: T;
  readonly #redacted: string | readonly string[];

  constructor(value: T, redacted: string | readonly string[] = '[redacted]') {
    this.#value = value;
    this.#redacted = redacted;
  }

  /** URLs, shown with their passwords as `***`. */
  static urls(urls: readonly string[]): Secret<readonly string[]> {
    return new Secret(urls, Object.freeze(urls.map(redactUrl)));
  }

  reveal(): T {
    return this.#value;
  }

  /** The redacted rendering. */
  get redacted(): string | readonly string[] {
    return this.#redacted;
  }

  toJSON(): string | readonly string[] {
    return this.#redacted;
  }

  toString(): string {
    return String(this.#redacted);
  }

  [INSPECT](): string | readonly string[] {
    return this.#redacted;
  }
}
