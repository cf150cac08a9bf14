import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { messageOf } from '../errors.js';
import type { StandardSchemaV1 } from '../index.js';
import type { CatalogEntry } from './asyncapi-document.js';
import type { JsonSchemaFallback } from './json-schema-of.js';
import { usage } from './usage-error.js';

/** The event definitions of a module, and where they were found. */
export interface LoadedCatalog {
  readonly entries: readonly CatalogEntry[];
  /** The export they came from (`default`, a name), or `exports` when gathered from every export. */
  readonly from: string;
  /** The module's file URL: where its own dependencies (its zod) resolve from. */
  readonly url: string;
}

/**
 * Imports a catalog module and finds its event definitions: the export named
 * `exportName`; else the default export; else the one export that is a list
 * of definitions (or an `EventCatalog`), as `ALL_EVENTS` in examples/events.ts;
 * else every definition it exports. Definitions are recognised by their shape
 * (domain, action, routingKey, version, create, is), so a module importing
 * another copy of rx-pubsub-amqp works too.
 *
 * @throws {UsageError} when the module cannot be found or holds no usable catalog.
 */
export async function loadCatalog(path: string, cwd: string, exportName?: string): Promise<LoadedCatalog> {
  const url = pathToFileURL(resolve(cwd, path)).href;
  const module = await importModule(url, path);
  if (exportName !== undefined) {
    if (!(exportName in module)) usage(`${path} has no export named ${exportName}`);
    return { entries: entriesOf(module[exportName], `${path} export ${exportName}`), from: exportName, url };
  }
  if (entriesOrUndefined(module.default) !== undefined)
    return { entries: entriesOf(module.default, `${path} default export`), from: 'default', url };
  const lists = Object.entries(module).filter(
    ([, value]) => (Array.isArray(value) || isCatalog(value)) && entriesOrUndefined(value) !== undefined,
  );
  const [only] = lists;
  if (lists.length === 1 && only !== undefined) return { entries: entriesOf(only[1], `${path} export ${only[0]}`), from: only[0], url };
  if (lists.length > 1)
    usage(`${path} exports several lists of events (${lists.map(([name]) => name).join(', ')}): choose one with --export NAME`);
  const single = Object.values(module).filter(isDefinition);
  if (single.length === 0) usage(`${path} exports no event definitions (made by defineEvent), nor a list of them`);
  return { entries: entriesOf(single, `${path} exports`), from: 'exports', url };
}

async function importModule(url: string, path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' && messageOf(error).includes(url.replace('file://', ''))) usage(`no module at ${path}`);
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      usage(
        `${path}: this Node cannot import TypeScript itself: run the CLI under tsx (npx tsx node_modules/rx-pubsub-amqp/dist/cli/main.js asyncapi ${path}) or give the compiled .js`,
      );
    }
    throw new Error(`importing ${path} failed: ${messageOf(error)}`, { cause: error });
  }
}

function entriesOf(value: unknown, where: string): CatalogEntry[] {
  const entries = entriesOrUndefined(value);
  if (entries === undefined) usage(`${where} is not an event definition, a list of them or an EventCatalog`);
  const byKey = new Map<string, CatalogEntry>();
  for (const entry of entries) {
    const other = byKey.get(entry.routingKey);
    if (other !== undefined && other !== entry) {
      usage(
        `${where} has ${entry.routingKey} twice (versions ${other.version} and ${entry.version}): a catalog has one definition per event type; choose a list with --export NAME`,
      );
    }
    byKey.set(entry.routingKey, entry);
  }
  return [...byKey.values()];
}

function entriesOrUndefined(value: unknown): CatalogEntry[] | undefined {
  if (isDefinition(value)) return [value];
  const list = isCatalog(value) ? value.definitions : value;
  return Array.isArray(list) && list.length > 0 && list.every(isDefinition) ? list : undefined;
}

function isCatalog(value: unknown): value is { readonly definitions: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'definitions' in value &&
    typeof (value as { definitionOf?: unknown }).definitionOf === 'function'
  );
}

function isDefinition(value: unknown): value is CatalogEntry {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.domain === 'string' &&
    typeof candidate.action === 'string' &&
    candidate.routingKey === `${candidate.domain}.${candidate.action}` &&
    typeof candidate.version === 'number' &&
    typeof candidate.create === 'function' &&
    typeof candidate.is === 'function'
  );
}

/**
 * zod 4.0 and 4.1 schemas lack the Standard JSON Schema interface, but the zod
 * the catalog module imports has `z.toJSONSchema`: found from the module's
 * own location, it converts them. Undefined when no such zod is there.
 */
export async function zodFallback(catalog: LoadedCatalog): Promise<JsonSchemaFallback | undefined> {
  const needed = catalog.entries.some(({ schema }) => schema !== undefined && vendorIs(schema, 'zod') && !hasJsonSchema(schema));
  if (!needed) return undefined;
  try {
    const zod = (await import(pathToFileURL(createRequire(catalog.url).resolve('zod')).href)) as { toJSONSchema?: unknown };
    if (typeof zod.toJSONSchema !== 'function') return undefined;
    const convert = zod.toJSONSchema as (schema: unknown, options: object) => Record<string, unknown>;
    return (schema) => convert(schema, { target: 'draft-7', io: 'input' });
  } catch {
    return undefined;
  }
}

function vendorIs(schema: StandardSchemaV1, vendor: string): boolean {
  return schema['~standard'].vendor === vendor;
}

function hasJsonSchema(schema: StandardSchemaV1): boolean {
  return typeof (schema['~standard'] as { jsonSchema?: unknown }).jsonSchema === 'object';
}
