/** A block of a report that renders as Markdown (a pull-request comment) or as plain text. */
export type Block =
  | { readonly kind: 'heading'; readonly text: string }
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'table'; readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: 'list'; readonly items: readonly string[]; readonly checkboxes?: boolean }
  | { readonly kind: 'code'; readonly lines: readonly string[] }
  /** Long detail: collapsed in Markdown. */
  | { readonly kind: 'details'; readonly summary: string; readonly blocks: readonly Block[] };

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown that GitHub renders: tables, task lists, fenced code, collapsed details. */
export function toMarkdown(blocks: readonly Block[]): string {
  return blocks
    .map((b): string => {
      switch (b.kind) {
        case 'heading':
          return `### ${b.text}`;
        case 'paragraph':
          return b.text;
        case 'table':
          return [`| ${b.header.map(cell).join(' | ')} |`, `|${b.header.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
        case 'list':
          return b.items.map((i) => `- ${b.checkboxes ? '[ ] ' : ''}${i}`).join('\n');
        case 'code':
          return ['```sh', ...b.lines, '```'].join('\n');
        case 'details':
          return [`<details><summary>${b.summary}</summary>`, '', toMarkdown(b.blocks), '', '</details>'].join('\n');
      }
    })
    .join('\n\n');
}

/** Plain text for a terminal: underlined headings, aligned columns, indented commands. */
export function toText(blocks: readonly Block[]): string {
  return blocks
    .map((b): string => {
      switch (b.kind) {
        case 'heading':
          return `${b.text}\n${'='.repeat(b.text.length)}`;
        case 'paragraph':
          return b.text.replace(/\*\*/g, '');
        case 'table': {
          const widths = b.header.map((h, i) => Math.max(h.length, ...b.rows.map((r) => (r[i] ?? '').length)));
          const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
          return [line(b.header), line(widths.map((w) => '-'.repeat(w))), ...b.rows.map(line)].join('\n');
        }
        case 'list':
          return b.items.map((i) => `${b.checkboxes ? '[ ]' : '-'} ${i}`).join('\n');
        case 'code':
          return b.lines.map((l) => `    ${l}`).join('\n');
        case 'details':
          return [b.summary, toText(b.blocks)].join('\n');
      }
    })
    .join('\n\n');
}
