import Table from 'cli-table3';
import pc from 'picocolors';
import type { CliContext } from './cli-context.js';

/** picocolors' functions; each one returns its text unchanged when colours are off. */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Where a command's results go: readable lines (coloured on a terminal) or,
 * with `--json`, one JSON value per line (NDJSON) for scripts. Notes (what is
 * going on, warnings) go to stderr, so stdout holds only results.
 */
export interface Output {
  /** `--json` was given: results are NDJSON records, not lines. */
  readonly json: boolean;
  readonly colors: Colors;
  /** The terminal's width, or undefined when stdout is not a terminal. */
  readonly columns: number | undefined;
  /** stdout is a terminal (a `--watch` redraws in place). */
  readonly isTTY: boolean;
  /** A readable line on stdout. */
  line(text: string): void;
  /** One NDJSON record on stdout. */
  record(value: unknown): void;
  /** A line on stderr. */
  note(text: string): void;
}

/**
 * Colours only on a terminal, and never with `NO_COLOR` (https://no-color.org:
 * set and not empty) or `TERM=dumb`. picocolors alone would also colour
 * piped output on CI machines (`CI` set).
 */
export function colorsEnabled(stdout: CliContext['stdout'], env: CliContext['env']): boolean {
  return stdout.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** The output of a command run with (`json`) or without `--json`. */
export function createOutput(cli: CliContext, json: boolean): Output {
  const isTTY = cli.stdout.isTTY === true;
  return {
    json,
    colors: pc.createColors(colorsEnabled(cli.stdout, cli.env)),
    columns: isTTY ? cli.stdout.columns : undefined,
    isTTY,
    line: (text) => cli.stdout.write(`${text}\n`),
    record: (value) => cli.stdout.write(`${JSON.stringify(value)}\n`),
    note: (text) => cli.stderr.write(`${text}\n`),
  };
}

/**
 * A table as text (cli-table3). Its own colouring (a red header, grey
 * borders) is turned off: the header is bold when colours are on, and plain
 * otherwise, so piped output has no escape codes.
 */
export function renderTable(output: Output, head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({
    head: head.map((title) => output.colors.bold(title)),
    style: { head: [], border: [] },
  });
  table.push(...rows.map((row) => [...row]));
  return table.toString();
}
