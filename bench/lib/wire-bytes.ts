import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Options } from 'amqplib';

/** amqplib's own frame encoders (not in its `exports`: loaded by path, for what they count, never to send). */
interface AmqplibCodec {
  readonly defs: {
    readonly BasicPublish: number;
    readonly BasicProperties: number;
    encodeMethod(id: number, channel: number, fields: object): Buffer;
    encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
  };
  readonly args: { publish(exchange: string, routingKey: string, options: Options.Publish): object };
}

let codec: AmqplibCodec | undefined;

function amqplibCodec(): AmqplibCodec {
  if (!codec) {
    const require = createRequire(import.meta.url);
    const lib = join(dirname(require.resolve('amqplib')), 'lib');
    codec = { defs: require(join(lib, 'defs.js')) as AmqplibCodec['defs'], args: require(join(lib, 'api_args.js')) as AmqplibCodec['args'] };
  }
  return codec;
}

/** AMQP frame header (type, channel, payload size) and frame end around every payload. */
const FRAME_OVERHEAD = 8;
/** Content header payload before the property flags: class id, weight, body size. */
const HEADER_PREFIX = 2 + 2 + 8;
const FLAGS = 2;

/** What one `channel.publish(exchange, routingKey, body, options)` puts on the wire, in bytes, as amqplib encodes it. */
export interface PublishBytes {
  /** The encoded property list after the 2-byte property flags: what grows with the properties. */
  readonly propertyBlock: number;
  /** Property flags + property list: the part of the content header RabbitMQ keeps as the message's `properties_bin`. */
  readonly flagsAndProperties: number;
  /** The content header frame's payload: class, weight, body size (12 B) + flags + property list. */
  readonly headerPayload: number;
  /** The basic.publish method frame's payload (exchange and routing key are in it). */
  readonly methodPayload: number;
  readonly body: number;
}

/**
 * The sizes amqplib gives a publish, from its own encoders (with its option
 * parsing: amqplib always sends `headers`, an empty table of 4 bytes when
 * none are given).
 */
export function publishBytes(exchange: string, routingKey: string, body: Buffer, options: Options.Publish): PublishBytes {
  const { defs, args } = amqplibCodec();
  const fields = args.publish(exchange, routingKey, options);
  const header = defs.encodeProperties(defs.BasicProperties, 1, body.length, fields).length - FRAME_OVERHEAD;
  const method = defs.encodeMethod(defs.BasicPublish, 1, fields).length - FRAME_OVERHEAD;
  return {
    propertyBlock: header - HEADER_PREFIX - FLAGS,
    flagsAndProperties: header - HEADER_PREFIX,
    headerPayload: header,
    methodPayload: method,
    body: body.length,
  };
}

/**
 * `options` plus a `correlationId` that brings the property block to exactly
 * `propertyBlock` bytes (a shortstr: 1 length byte + its characters). Throws
 * when `options` alone already take more than that minus one.
 */
export function padProperties(exchange: string, routingKey: string, body: Buffer, options: Options.Publish, propertyBlock: number): Options.Publish {
  const base = publishBytes(exchange, routingKey, body, { ...options, correlationId: '' }).propertyBlock;
  if (propertyBlock < base || propertyBlock - base > 255) {
    throw new Error(`a property block of ${propertyBlock} bytes cannot be reached with a correlationId (${base} to ${base + 255})`);
  }
  return { ...options, correlationId: 'c'.repeat(propertyBlock - base) };
}
