/**
 * Generated regions of a Markdown file: whatever sits between
 * `<!-- bench:<name> -->` and `<!-- /bench:<name> -->` belongs to the
 * benchmark and is rewritten from its results; the rest of the file is
 * left byte for byte as it was.
 */

const open = (name: string): string => `<!-- bench:${name} -->`;
const close = (name: string): string => `<!-- /bench:${name} -->`;

/** Each marker's offsets in `text` (an HTML comment is never mistaken for text that merely mentions it: the markers are whole lines). */
function markerLines(text: string, marker: string): number[] {
  const found: number[] = [];
  let from = 0;
  for (;;) {
    const at = text.indexOf(marker, from);
    if (at < 0) return found;
    const lineStart = at === 0 || text[at - 1] === '\n';
    const end = at + marker.length;
    const lineEnd = end === text.length || text[end] === '\n' || text.slice(end, end + 2) === '\r\n';
    if (lineStart && lineEnd) found.push(at);
    from = end;
  }
}

/**
 * `text` with the region `name` replaced by `body`. A region without both
 * markers, with either twice, or closed before it opens is an error naming
 * `file`: figures that silently stop being written would go stale unseen.
 */
export function replaceRegion(text: string, name: string, body: string, file: string): string {
  const starts = markerLines(text, open(name));
  const ends = markerLines(text, close(name));
  const expected = `${open(name)} and ${close(name)}, each alone on a line`;
  if (starts.length === 0 || ends.length === 0) {
    const missing = [starts.length === 0 && open(name), ends.length === 0 && close(name)].filter(Boolean).join(' and no ');
    throw new Error(`${file}: no ${missing} line (the generated region '${name}' needs ${expected})`);
  }
  if (starts.length > 1 || ends.length > 1) throw new Error(`${file}: the region '${name}' is marked more than once (${expected}, once)`);
  const [start, end] = [starts[0] as number, ends[0] as number];
  if (end < start) throw new Error(`${file}: ${close(name)} comes before ${open(name)}`);
  const afterOpen = start + open(name).length;
  return `${text.slice(0, afterOpen)}\n${body.trim()}\n${text.slice(end)}`;
}

