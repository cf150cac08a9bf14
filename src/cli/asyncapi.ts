import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { messageOf } from '../errors.js';
import { asyncApiDocument } from './asyncapi-document.js';
import { loadCatalog, zodFallback } from './catalog-module.js';
import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { withJsonOption } from './cli-options.js';
import { createOutput } from './output.js';
import { usage } from './usage-error.js';

interface AsyncApiFlags {
  readonly out?: string;
  readonly export?: string;
  readonly exchange: string;
  readonly title?: string;
  readonly apiVersion: string;
  readonly json?: boolean;
}

/** `rx-pubsub asyncapi <catalog module>`: an AsyncAPI 3.0 document of an event catalog. */
export const asyncapiCommand: CliCommand = (program, cli) => {
  withJsonOption(
    program
      .command('asyncapi')
      .summary('an AsyncAPI 3.0 document of an event catalog')
      .description(
        'write an AsyncAPI 3.0 document (JSON) of an event catalog module: a channel per routing key, a message per event type ' +
          'with its JSON Schema (from schemas that give one, as zod 4; others leave data open, with a note)',
      )
      .argument('<module>', 'a module exporting event definitions made by defineEvent, or a list of them (.js; .ts under tsx)')
      .option('--out <file>', 'write the document to a file instead of stdout')
      .option('--export <name>', 'the export holding the catalog (default: the default export, or the one list of definitions)')
      .option('--exchange <name>', 'the topic exchange the events are published to', 'events')
      .option('--title <title>', 'info.title (default: "rx-pubsub events")')
      .option('--api-version <version>', 'info.version of the document', '1.0.0'),
  )
    .addHelpText(
      'after',
      examples(
        ['asyncapi ./dist/events.js --out asyncapi.json', 'the catalog exported by dist/events.js, to a file'],
        ['asyncapi ./dist/events.js --export ALL_EVENTS', 'one list of definitions among several, to stdout'],
      ),
    )
    .action((module: string, flags: AsyncApiFlags) => asyncapi(module, flags, cli));
};

async function asyncapi(module: string, flags: AsyncApiFlags, cli: CliContext): Promise<void> {
  if (flags.exchange === '') usage('--exchange must not be empty');
  const output = createOutput(cli, flags.json === true);
  const catalog = await loadCatalog(module, cli.cwd, flags.export);
  const { document, notes } = asyncApiDocument(catalog.entries, {
    exchange: flags.exchange,
    version: flags.apiVersion,
    ...(flags.title === undefined ? {} : { title: flags.title }),
    ...(await fallbackOf(catalog)),
  });
  for (const note of notes) output.note(`asyncapi: note: ${note}`);
  if (flags.out === undefined) {
    if (output.json) output.record(document);
    else output.line(JSON.stringify(document, null, 2));
    return;
  }
  const file = resolve(cli.cwd, flags.out);
  try {
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    usage(`--out ${flags.out}: cannot write it (${messageOf(error)})`);
  }
  const channels = catalog.entries.length;
  if (output.json) output.record({ file, channels, from: catalog.from, notes });
  else output.line(`wrote ${flags.out}: ${channels} channels from ${catalog.from} of ${module}`);
}

async function fallbackOf(catalog: Awaited<ReturnType<typeof loadCatalog>>) {
  const fallback = await zodFallback(catalog);
  return fallback === undefined ? {} : { fallback };
}
