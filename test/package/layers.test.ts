import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies point down only:
 * cli → index, testing → bus, dead-letters → core, typing, telemetry → transport → event, routing → errors, logger.
 * transport sits above event: it owns the wire form of an event (its
 * properties, its encoding). Same rank may import each other; nothing imports upward.
 */
const RANK: Readonly<Record<string, number>> = {
  'errors.ts': 0,
  'logger.ts': 0,
  'redact-url.ts': 0,
  event: 1,
  routing: 1,
  transport: 2,
  core: 3,
  telemetry: 3,
  typing: 3,
  bus: 4,
  'dead-letters': 4,
  testing: 5,
  'index.ts': 5,
  'blocks.ts': 5,
  // The command: the library's user, on its public API (and a few internals: redaction, credentials).
  cli: 6,
};

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gm;

interface Edge {
  readonly from: string;
  readonly to: string;
  /** `import type`: erased at compile time, so it cannot make a runtime cycle. */
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => ({
    from: relative(SRC, file),
    to: relative(SRC, resolve(dirname(file), (match[3] as string).replace(/\.js$/, '.ts'))),
    typeOnly: match[2] !== undefined,
  }));
}

function layerOf(path: string): string {
  return path.split('/')[0] as string;
}

const edges = sourceFiles(SRC).flatMap(edgesOf);

describe('layers', () => {
  it('layers - every top-level file and folder of src/ has a rank', () => {
    const unranked = [...new Set(sourceFiles(SRC).map((file) => layerOf(relative(SRC, file))))].filter((layer) => RANK[layer] === undefined);
    expect(unranked).toEqual([]);
  });

  it('layers - the import parser sees the imports (a parser that sees none would pass anything)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'bus/delivery-loop.ts', to: 'errors.ts', typeOnly: false });
  });

  it('layers - no import points upward', () => {
    const upward = edges
      .filter(({ from, to }) => (RANK[layerOf(to)] ?? 0) > (RANK[layerOf(from)] ?? 0))
      .map(({ from, to }) => `${from} → ${to}`);
    expect(upward).toEqual([]);
  });

  it('layers - no import cycle at run time (type-only imports left out)', () => {
    const graph = new Map<string, string[]>();
    for (const { from, to, typeOnly } of edges) if (!typeOnly) graph.set(from, [...(graph.get(from) ?? []), to]);
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' → '));
        return;
      }
      state.set(node, 'open');
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
