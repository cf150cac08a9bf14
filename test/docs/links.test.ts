/**
 * Every relative link in README.md and docs/ points at a file of the repository, and every `#anchor`
 * at a heading of its target (GitHub's slugs). Pages move often while the docs are rewritten: a
 * broken link is a dead end for the reader. Links into docs/api/ name TypeDoc's output
 * (`npm run docs`, not committed): only their folder is checked against typedoc.json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const API_DIR = resolve(ROOT, (JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as { out: string }).out);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (path === API_DIR) return [];
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** The text outside fenced code blocks: a `#` line in a shell block is not a heading. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1\s*$/gm, '');
}

/** ...and outside inline code: links in code are not links. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, title = ''] of withoutFences(markdown).matchAll(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/gm)) {
    const text = title.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

const files = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))];

describe('docs - links', () => {
  for (const file of files) {
    const name = relative(ROOT, file);
    it(`links - every relative link of ${name} resolves`, () => {
      const text = readFileSync(file, 'utf8');
      const broken: string[] = [];
      for (const [, target = ''] of prose(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (resolved.startsWith(`${API_DIR}/`) || resolved === API_DIR) continue;
        if (!existsSync(resolved)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${target}: no heading with that anchor in ${relative(ROOT, resolved)}`);
        }
      }
      expect(broken.join('\n'), `broken links in ${name}`).toBe('');
    });
  }
});
