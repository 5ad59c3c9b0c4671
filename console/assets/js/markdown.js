// A small Markdown renderer for the daily and weekly digests: headings, paragraphs, bullet and numbered lists,
// tables, rules, **bold**, *italic*, `code` and http(s) links. It builds DOM nodes and puts every piece of text
// in as a text node, so a digest that quotes a customer (`<img onerror=…>`) shows the characters, never markup.

import { h, safeUrl } from './ui.js';

/** Inline spans of one line. */
export function inline(text) {
  const out = [];
  const pattern = /(\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\))/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[2] != null) out.push(h('strong', null, inline(m[2])));
    else if (m[3] != null) out.push(h('em', null, inline(m[3])));
    else if (m[4] != null) out.push(h('em', null, inline(m[4])));
    else if (m[5] != null) out.push(h('code', null, m[5]));
    else {
      const url = safeUrl(m[7]);
      out.push(url ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, inline(m[6])) : m[0]);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// Cells split on `|` but not on `\|`, which a cell uses for a `|` of its own (as in a category's name).
const cells = (line) => line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '').split(/(?<!\\)\|/)
  .map((c) => c.trim().replace(/\\\|/g, '|'));

/** The digest's Markdown as a `div.markdown`. */
export function render(markdown) {
  const root = h('div.markdown');
  const lines = String(markdown ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (!line.trim()) {
      i += 1;
    } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      // The page already has h1/h2; a digest's headings start one level below.
      root.append(h(`h${Math.min(6, m[1].length + 2)}`, null, inline(m[2].replace(/\s*#+\s*$/, ''))));
      i += 1;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.append(h('hr'));
      i += 1;
    } else if (/^\s*\|/.test(line) && /^\s*\|?\s*:?-{2,}/.test(lines[i + 1] ?? '')) {
      const head = cells(line);
      i += 2;
      const rows = [];
      while (i < lines.length && /^\s*\|/.test(lines[i])) rows.push(cells(lines[i++]));
      root.append(h('div.table-wrap', null, h('table', null,
        h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, inline(c))))),
        h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, inline(c)))))))));
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? 'ol' : 'ul');
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        list.append(h('li', null, inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ''))));
        i += 1;
        // A continuation line (indented, not a new item) belongs to the item above.
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
          list.lastChild.append(' ', ...inline(lines[i].trim()));
          i += 1;
        }
      }
      root.append(list);
    } else {
      // The first line always belongs to the paragraph (a lone `|x` is text), so the loop always advances.
      const para = [lines[i].trim()];
      i += 1;
      while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*\||\s*([-*+]|\d+[.)])\s+)/.test(lines[i])) {
        para.push(lines[i].trim());
        i += 1;
      }
      root.append(h('p', null, inline(para.join(' '))));
    }
  }
  return root;
}
