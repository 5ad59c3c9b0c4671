// Charts drawn as SVG by hand (no library, nothing from a CDN: the CSP allows scripts from this origin only).
// Each chart is a <figure> that redraws at its container's width (a 400 px Dashboard App tab and a desktop get
// the same labels at the same size), reads out the point under the pointer or the keyboard (arrow keys once the
// chart has focus) in a live region, and carries its numbers as a table for screen readers and for copying.

import { h } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';

/** `s('rect.bar', {x: 1}, child…)`: an SVG element; values are set as attributes (never as markup). */
export function s(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElementNS(NS, name);
  if (classes.length) el.setAttribute('class', classes.join(' '));
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value != null) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child != null) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A round upper bound for an axis (1, 2 or 5 times a power of ten). */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (max <= step * power) return step * power;
  return 10 * power;
}

// Round axis tops for durations (seconds): a minute, 5, 15, 30 min, an hour, 2, 4, 8, 12 h, a day, 2, 7 days.
const TIME_STEPS = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 604800];

/** A round upper bound for a duration axis. */
export function niceSeconds(max) {
  return TIME_STEPS.find((s) => max <= s) ?? niceMax(max / 86400) * 86400;
}

/**
 * The frame every chart shares: caption, the drawing (redrawn on resize), a readout and a data table.
 * `draw(width)` returns `{svg, count, select(i) -> text}`; `table` is `{head: [...], rows: [[...]]}`.
 */
function figure({ id, title, description, draw, table, empty, legend = [] }) {
  const readout = h('p.readout', { 'aria-live': 'polite' });
  const box = h('div.plot');
  // A line's key is a short stretch of that line with its marker, so a dashed p90 with diamonds reads apart from
  // a solid median with circles even where they coincide.
  const key = legend.length > 1
    ? h('span.legend', { 'aria-hidden': 'true' }, legend.map(({ name, kind, k }) => h('span', { dataset: { series: name } },
      kind === 'bar' ? h(`i.swatch.s${k}`)
        : s('svg.key', { width: 26, height: 12, viewBox: '0 0 26 12' },
          s(`path.line.s${k}`, { d: 'M1,6L25,6' }), marker(k, 13, 6, 'legend')),
      name)))
    : null;
  const fig = h('figure.chart', { id }, h('figcaption', null, title, key), box, readout,
    h('details.data', null, h('summary', null, 'Data table'),
      h('table', null,
        h('thead', null, h('tr', null, table.head.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, table.rows.map((r) => h('tr', null, r.map((c, i) => (i ? h('td', null, c) : h('th', { scope: 'row' }, c)))))))));
  if (empty) {
    box.append(h('p.empty.chart-empty', null, 'No data in this period.'));
    return fig;
  }
  let width = 0;
  let current = null;
  let index = -1;
  const render = () => {
    const w = Math.max(260, Math.floor(box.clientWidth || 600));
    if (Math.abs(w - width) < 4) return;
    width = w;
    current = draw(w);
    current.svg.setAttribute('role', 'img');
    current.svg.setAttribute('tabindex', '0');
    current.svg.setAttribute('aria-label', `${title}. ${description} Arrow keys read the values.`);
    current.svg.prepend(s('title', null, title));
    current.svg.addEventListener('keydown', onKey);
    current.svg.addEventListener('pointermove', (event) => {
      const i = current.at?.(event.offsetX, event.offsetY);
      if (i != null && i >= 0) pick(i);
    });
    box.replaceChildren(current.svg);
    if (index >= 0) pick(index);
  };
  const pick = (i) => {
    index = Math.max(0, Math.min(i, current.count - 1));
    readout.textContent = current.select(index);
  };
  const onKey = (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: current.rowStep ?? 1, ArrowUp: -(current.rowStep ?? 1),
      Home: -Infinity, End: Infinity }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const from = index < 0 ? 0 : index;
    pick(Number.isFinite(step) ? from + (index < 0 ? 0 : step) : (step < 0 ? 0 : current.count - 1));
  };
  new ResizeObserver(() => render()).observe(box);
  queueMicrotask(render);
  return fig;
}

/**
 * A line's point: circles for the first line, hollow diamonds a size larger for the second (the p90 over the
 * median), so a point of each at the same value shows both.
 */
function marker(k, cx, cy, title) {
  if (k % 2 === 0) return s(`circle.point.s${k}`, { cx, cy, r: 3 }, title === 'legend' ? null : s('title', null, title));
  const r = 7;
  return s(`path.point.diamond.s${k}`, { d: `M${cx},${cy - r}L${cx + r},${cy}L${cx},${cy + r}L${cx - r},${cy}Z` },
    title === 'legend' ? null : s('title', null, title));
}

/**
 * The SVG path of a line: consecutive values are joined, a null breaks the line (a period without a value is
 * not zero, and joining across it would invent the values in between); a value alone between gaps is a point.
 */
export function linePath(values, x, y) {
  let path = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v == null) {
      pen = false;
      return;
    }
    path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return path;
}

/**
 * Bars and/or lines over the same labelled x axis: `series` = `[{name, kind: 'bar'|'line', values: [n|null]}]`.
 * Bars are `rect.bar`; a line is a `path.line` through its consecutive values and a point per non-null value
 * (`circle.point` for the first line, `path.point.diamond` for the second), each with its own `<title>`.
 */
export function seriesChart({ id, title, labels, series, format = String, description = '', seconds = false }) {
  const values = series.flatMap((x) => x.values).filter((v) => v != null);
  const empty = !values.length || values.every((v) => v === 0);
  const table = { head: ['Period', ...series.map((x) => x.name)],
    rows: labels.map((l, i) => [l, ...series.map((x) => (x.values[i] == null ? '–' : format(x.values[i])))]) };
  const draw = (width) => {
    const height = 200;
    const pad = { left: 52, right: 10, top: 12, bottom: 34 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const top = (seconds ? niceSeconds : niceMax)(Math.max(...values, 0));
    // Half of a count axis may fall between whole numbers (2.5 of 5): say so rather than round it to 3.
    const tick = (v) => (seconds || Number.isInteger(v) ? format(v) : v.toFixed(1));
    const n = labels.length;
    const slot = plotW / Math.max(n, 1);
    const x = (i) => pad.left + slot * (i + 0.5);
    const y = (v) => pad.top + plotH - (v / top) * plotH;
    const svg = s('svg.series', { width, height, viewBox: `0 0 ${width} ${height}` });
    for (const f of [0, 0.5, 1]) {
      svg.append(s('line.grid', { x1: pad.left, x2: width - pad.right, y1: y(top * f), y2: y(top * f) }),
        s('text.tick', { x: pad.left - 6, y: y(top * f) + 4, 'text-anchor': 'end' }, tick(top * f)));
    }
    // As many x labels as fit without overlapping (about 64 px each).
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 64))));
    labels.forEach((l, i) => {
      if (i % every === 0) svg.append(s('text.tick', { x: x(i), y: height - pad.bottom + 16, 'text-anchor': 'middle' }, l));
    });
    const bars = series.filter((x) => x.kind === 'bar');
    bars.forEach((b, k) => {
      const bw = Math.max(1, (slot * 0.7) / bars.length);
      b.values.forEach((v, i) => {
        if (v == null) return;
        svg.append(s(`rect.bar.s${k}`, { x: x(i) - (slot * 0.35) + k * bw, y: y(v), width: bw, height: Math.max(0, y(0) - y(v)),
          'data-index': i }, s('title', null, `${labels[i]}: ${format(v)}`)));
      });
    });
    const lines = series.filter((x) => x.kind !== 'bar');
    lines.forEach((line, k) => {
      svg.append(s(`path.line.s${k + bars.length}`, { d: linePath(line.values, x, y), 'data-series': line.name }));
    });
    // Later lines' points first, so the first line's (smaller) points stay on top where values coincide.
    [...lines.entries()].reverse().forEach(([k, line]) => {
      line.values.forEach((v, i) => {
        if (v == null) return;
        const point = marker(k + bars.length, x(i), y(v), `${line.name}, ${labels[i]}: ${format(v)}`);
        point.setAttribute('data-index', i);
        svg.append(point);
      });
    });
    const cursor = s('line.cursor', { y1: pad.top, y2: pad.top + plotH, x1: -10, x2: -10 });
    svg.append(cursor);
    return {
      svg,
      count: n,
      at: (px) => Math.floor((px - pad.left) / slot),
      select(i) {
        cursor.setAttribute('x1', x(i));
        cursor.setAttribute('x2', x(i));
        return `${labels[i]}: ${series.map((x) => `${x.name} ${x.values[i] == null ? 'no data' : format(x.values[i])}`).join(', ')}`;
      },
    };
  };
  const summary = series.map((x) => `${x.name}: ${x.values.filter((v) => v != null).length} values`).join('; ');
  return figure({ id, title, description: description || `${labels.length} periods. ${summary}.`, draw, table, empty,
    legend: [...series.filter((x) => x.kind === 'bar'), ...series.filter((x) => x.kind !== 'bar')]
      .map((x, k) => ({ name: x.name, kind: x.kind, k })) });
}

/**
 * The weekday × hour heat map: `grid` is 7 rows (`weekdays`) of 24 values, `rect.cell` each with
 * `data-day`, `data-hour` and `data-value`; darker is busier.
 */
export function heatMap({ id, title, weekdays, grid, unit }) {
  const names = weekdays.map((d) => d.charAt(0).toUpperCase() + d.slice(1, 3));
  const max = Math.max(0, ...grid.flat());
  const hours = [...Array(24).keys()];
  const table = { head: ['Day', ...hours.map((hr) => `${hr}`)], rows: grid.map((row, d) => [names[d], ...row.map(String)]) };
  const hottest = max > 0 ? grid.flatMap((row, d) => row.map((v, hr) => [v, d, hr])).sort((a, b) => b[0] - a[0])[0] : null;
  const description = hottest
    ? `Busiest: ${names[hottest[1]]} ${hottest[2]}:00 with ${hottest[0]} ${unit}.`
    : 'No activity.';
  const draw = (width) => {
    const left = 36;
    const top = 18;
    const cw = (width - left - 4) / 24;
    const ch = Math.min(26, Math.max(16, cw));
    const height = top + ch * 7 + 4;
    const svg = s('svg.heatmap', { width, height, viewBox: `0 0 ${width} ${height}` });
    for (const hr of hours) {
      if (hr % (cw < 20 ? 3 : 2) === 0) svg.append(s('text.tick', { x: left + cw * hr + cw / 2, y: 12, 'text-anchor': 'middle' }, hr));
    }
    const cells = [];
    grid.forEach((row, d) => {
      svg.append(s('text.tick', { x: left - 6, y: top + ch * d + ch / 2 + 4, 'text-anchor': 'end' }, names[d]));
      row.forEach((v, hr) => {
        const cell = s('rect.cell', {
          x: left + cw * hr + 1, y: top + ch * d + 1, width: Math.max(1, cw - 2), height: ch - 2, rx: 2,
          'fill-opacity': max > 0 ? (0.08 + 0.92 * (v / max)).toFixed(3) : 0.08,
          'data-day': weekdays[d], 'data-hour': hr, 'data-value': v,
        }, s('title', null, `${names[d]} ${hr}:00–${hr + 1}:00: ${v} ${unit}`));
        cells.push(cell);
        svg.append(cell);
      });
    });
    let selected = null;
    return {
      svg,
      count: 7 * 24,
      rowStep: 24,
      at: (px, py) => {
        const hr = Math.floor((px - left) / cw);
        const d = Math.floor((py - top) / ch);
        return hr >= 0 && hr < 24 && d >= 0 && d < 7 ? d * 24 + hr : -1;
      },
      select(i) {
        selected?.classList.remove('selected');
        selected = cells[i];
        selected.classList.add('selected');
        const d = Math.floor(i / 24);
        const hr = i % 24;
        return `${names[d]} ${hr}:00–${hr + 1}:00: ${grid[d][hr]} ${unit}`;
      },
    };
  };
  return figure({ id, title, description, draw, table, empty: max === 0 });
}

/** Horizontal bars as HTML (ratings, top issues): `rows` = `[{label, value, text, extra}]`. */
export function barList({ id, rows, empty = 'No data in this period.' }) {
  if (!rows.length || rows.every((r) => !r.value)) return h('p.empty', { id }, empty);
  const max = Math.max(...rows.map((r) => r.value));
  return h('ul.barlist', { id }, rows.map((r) => {
    const fill = h('span.fill');
    fill.style.width = `${max > 0 ? (100 * r.value) / max : 0}%`;
    return h('li', { dataset: { key: r.label } },
      h('span.bar-label', null, r.label),
      h('span.track', { 'aria-hidden': 'true' }, fill),
      h('span.bar-value', null, r.text ?? String(r.value)),
      r.extra ?? null);
  }));
}
