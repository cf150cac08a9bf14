import { messageOf } from '../errors.js';
import type { StandardSchemaV1 } from '../index.js';

/** A JSON Schema, as a plain object. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Another way to a JSON Schema for a schema, or undefined when it has none. May throw. */
export type JsonSchemaFallback = (schema: StandardSchemaV1) => JsonSchema | undefined;

/** The JSON Schema of an event's `data`, and a note when it is not exact. */
export interface DataSchema {
  readonly schema: JsonSchema;
  readonly note: string | undefined;
}

/** The Standard JSON Schema interface (https://standardschema.dev), which zod 4.2+ and others add to `~standard`. */
interface StandardJsonSchemaProps {
  readonly jsonSchema?: { readonly input?: (options: { readonly target: string }) => unknown };
}

/** AsyncAPI's default schema format is a superset of JSON Schema draft-07. */
const TARGET = 'draft-07';

/**
 * The JSON Schema of `data`: from the Standard JSON Schema interface when the
 * schema has it (its input side: what goes on the wire), else from
 * `fallback`; otherwise an open schema (any JSON) and a note saying why.
 */
export function dataSchemaOf(schema: StandardSchemaV1 | undefined, fallback?: JsonSchemaFallback): DataSchema {
  if (schema === undefined) return { schema: { description: 'Any JSON: the catalog gives no schema.' }, note: undefined };
  const vendor = vendorOf(schema);
  try {
    const converter = (schema['~standard'] as StandardJsonSchemaProps).jsonSchema?.input;
    const converted = converter === undefined ? fallback?.(schema) : converter({ target: TARGET });
    if (isSchema(converted)) return { schema: converted, note: undefined };
    return open(
      `its ${vendor} schema gives no JSON Schema (neither the Standard JSON Schema interface nor z.toJSONSchema); data is described as any JSON`,
    );
  } catch (error) {
    return open(`its ${vendor} schema could not be turned into a JSON Schema (${messageOf(error)}); data is described as any JSON`);
  }
}

function open(note: string): DataSchema {
  return { schema: { description: `Any JSON: ${note}.` }, note };
}

function vendorOf(schema: StandardSchemaV1): string {
  try {
    const vendor: unknown = schema['~standard'].vendor;
    return typeof vendor === 'string' && vendor !== '' ? vendor : 'Standard Schema';
  } catch {
    return 'Standard Schema';
  }
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
