/**
 * What a copy of a delivery may carry of the original's headers. A copy must
 * always be sendable: amqplib encodes a message's headers into a 64 KiB
 * scratch buffer (and RabbitMQ's frame_max bounds them too), so a message
 * whose foreign headers nearly filled that cannot take ours on top; and some
 * values amqplib decodes it cannot encode again. Such headers are left out and
 * counted, so that the reason headers always reach Q.dlq.
 */

/** The most the original's headers may take in a copy, estimated from above; ours take at most a few KiB. */
export const FOREIGN_HEADERS_BUDGET = 32 * 1024;

/** Nesting deeper than this is not copied (amqplib recurses on each level). */
const MAX_DEPTH = 16;

export interface KeptHeaders {
  readonly headers: Record<string, unknown>;
  /** How many were left out. */
  readonly dropped: number;
}

/** The headers worth copying (`keep` decides by name), minus the unencodable; none when together they exceed the budget. */
export function copyableHeaders(headers: Readonly<Record<string, unknown>>, keep: (name: string) => boolean): KeptHeaders {
  const kept: Record<string, unknown> = {};
  let dropped = 0;
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!keep(name) || value === undefined) continue;
    const valueSize = encodedSize(value, 0);
    const keySize = Buffer.byteLength(name);
    if (valueSize === undefined || keySize > 255) {
      dropped++;
      continue;
    }
    size += 1 + keySize + valueSize;
    kept[name] = value;
  }
  if (size > FOREIGN_HEADERS_BUDGET) return { headers: {}, dropped: dropped + Object.keys(kept).length };
  return { headers: kept, dropped };
}

/**
 * An upper bound of the AMQP field-value encoding of `value` (tag included),
 * or undefined when amqplib could not encode it: a table with a `!` field
 * that is not a valid typed value (amqplib reads `!` as a type tag), a long
 * past 64 bits (amqplib decodes int64 to a Number, rounding up past the
 * range), a non-finite typed number, a function or a symbol.
 */
function encodedSize(value: unknown, depth: number): number | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (typeof value) {
    case 'string':
      return 5 + Buffer.byteLength(value);
    case 'boolean':
      return 2;
    case 'number':
      return Number.isInteger(value) && Math.abs(value) >= 2 ** 63 ? undefined : 9;
    case 'object':
      if (value === null) return 1;
      if (Buffer.isBuffer(value)) return 5 + value.length;
      if (Array.isArray(value)) return sumOf(value, depth);
      if (Object.hasOwn(value, '!')) return typedSize(value as { '!': unknown; value?: unknown });
      return tableSize(value as Record<string, unknown>, depth);
    default:
      return undefined;
  }
}

function sumOf(values: readonly unknown[], depth: number): number | undefined {
  let size = 5;
  for (const item of values) {
    const itemSize = encodedSize(item, depth + 1);
    if (itemSize === undefined) return undefined;
    size += itemSize;
  }
  return size;
}

function tableSize(table: Record<string, unknown>, depth: number): number | undefined {
  if (Object.getPrototypeOf(table) !== Object.prototype && Object.getPrototypeOf(table) !== null) return undefined;
  let size = 5;
  for (const [key, item] of Object.entries(table)) {
    if (item === undefined) continue;
    const itemSize = encodedSize(item, depth + 1);
    const keySize = Buffer.byteLength(key);
    if (itemSize === undefined || keySize > 255) return undefined;
    size += 1 + keySize + itemSize;
  }
  return size;
}

// The typed values amqplib decodes (timestamp, decimal) and those a client may write by hand.
function typedSize({ '!': type, value }: { '!': unknown; value?: unknown }): number | undefined {
  if (type === 'timestamp') return Number.isSafeInteger(value) && (value as number) >= 0 ? 9 : undefined;
  if (type === 'decimal') {
    const { places, digits } = (typeof value === 'object' && value !== null ? value : {}) as { places?: unknown; digits?: unknown };
    const ok =
      Number.isInteger(places) &&
      (places as number) >= 0 &&
      (places as number) < 256 &&
      Number.isInteger(digits) &&
      (digits as number) >= 0 &&
      (digits as number) < 2 ** 32;
    return ok ? 6 : undefined;
  }
  if (['double', 'float64', 'float'].includes(type as string)) return typeof value === 'number' ? 9 : undefined;
  const ranges: Record<string, [number, number]> = {
    byte: [-128, 127],
    int8: [-128, 127],
    unsignedbyte: [0, 255],
    uint8: [0, 255],
    short: [-(2 ** 15), 2 ** 15 - 1],
    int16: [-(2 ** 15), 2 ** 15 - 1],
    unsignedshort: [0, 2 ** 16 - 1],
    uint16: [0, 2 ** 16 - 1],
    int: [-(2 ** 31), 2 ** 31 - 1],
    int32: [-(2 ** 31), 2 ** 31 - 1],
    unsignedint: [0, 2 ** 32 - 1],
    uint32: [0, 2 ** 32 - 1],
    long: [-(2 ** 63), 2 ** 63 - 1024],
    int64: [-(2 ** 63), 2 ** 63 - 1024],
  };
  const range = typeof type === 'string' ? ranges[type] : undefined;
  return range && Number.isInteger(value) && (value as number) >= range[0] && (value as number) <= range[1] ? 9 : undefined;
}

/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary, with `…` when cut. */
export function boundedText(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.max(0, maxBytes - 3); // room for the 3 bytes of "…"
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}…`;
}
