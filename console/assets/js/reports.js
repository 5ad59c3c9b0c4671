// The Reports page: KPIs against the previous period, trends, peak hours, distributions, top issues, bot and
// CSAT figures and the digests, from the API's `/api/v1/reports/*`. The choices live in the URL
// (`#/reports?period=30d&bh=1&group=agent:12`) so a view can be bookmarked; each section loads on its own, so
// one failing endpoint shows its error in place while the rest of the page still works.

import { describe, get } from './api.js';
import { heatMap, seriesChart } from './charts.js';
import { bucketLabel, count, duration, pct, pointLabel, range } from './period.js';
import { botAndCsat, csvLink, digestList, kpiCards, topIssues } from './report-parts.js';
import { h, clear } from './ui.js';

const BASE = '/api/v1/reports';
const DIMENSIONS = ['agent', 'team', 'inbox', 'channel'];
// Learnt from the first answer: the tenant's zone decides where days start.
let timezone = null;

function choices(params) {
  const period = ['7d', '30d', 'custom'].includes(params.get('period')) ? params.get('period') : '7d';
  const group = params.get('group') ?? '';
  return { period, since: params.get('since') ?? '', until: params.get('until') ?? '', bh: params.get('bh') === '1',
    group, dim: params.get('dim') ?? (group.split(':')[0] || '') };
}

function go(c) {
  const search = new URLSearchParams({ period: c.period });
  if (c.period === 'custom') {
    search.set('since', c.since);
    search.set('until', c.until);
  }
  if (c.bh) search.set('bh', '1');
  if (c.dim) search.set('dim', c.dim);
  if (c.group && c.group.startsWith(`${c.dim}:`)) search.set('group', c.group);
  location.hash = `#/reports?${search}`;
}

function controls(c, onChange) {
  const period = h('select', { name: 'period', id: 'report-period' },
    [['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['custom', 'Custom…']]
      .map(([v, t]) => h('option', { value: v, selected: v === c.period }, t)));
  const since = h('input', { type: 'date', name: 'since', value: c.since, id: 'report-since' });
  const until = h('input', { type: 'date', name: 'until', value: c.until, id: 'report-until' });
  const custom = h('span.custom-range', { hidden: c.period !== 'custom' },
    h('label.filter', null, h('span', null, 'Since'), since), h('label.filter', null, h('span', null, 'Until'), until),
    h('button', { type: 'submit' }, 'Show'));
  const bh = h('input', { type: 'checkbox', name: 'bh', id: 'report-bh', checked: c.bh });
  const dim = h('select', { name: 'dim', id: 'report-dim' }, h('option', { value: '' }, 'Everyone'),
    DIMENSIONS.map((d) => h('option', { value: d, selected: d === c.dim }, `By ${d}`)));
  const group = h('select', { name: 'group', id: 'report-group', hidden: !c.dim, 'aria-label': 'Group' },
    h('option', { value: '' }, `every ${c.dim || 'group'}`));
  const read = () => ({ period: period.value, since: since.value, until: until.value, bh: bh.checked,
    dim: dim.value, group: group.value });
  period.addEventListener('change', () => {
    custom.hidden = period.value !== 'custom';
    if (period.value !== 'custom') onChange(read());
    else since.focus();
  });
  for (const el of [bh, dim, group]) el.addEventListener('change', () => onChange(read()));
  const form = h('form.filters.report-controls', { id: 'report-controls', 'aria-label': 'Report period and filters',
    onsubmit: (event) => {
      event.preventDefault();
      if (period.value === 'custom' && (!since.value || !until.value)) return;
      onChange(read());
    } },
  h('label.filter', null, h('span', null, 'Period'), period), custom,
  h('label.toggle', null, bh, ' Business hours'),
  h('label.filter', null, h('span', null, 'Group'), h('span.inline', null, dim, group)));
  return { form, group };
}

/** Fills the group select from the breakdown of the chosen dimension; returns the breakdown rows. */
async function fillGroups(select, c, params) {
  if (!c.dim) return null;
  const answer = await get(`${BASE}/breakdown`, { ...params, dimension: c.dim });
  const rows = answer?.rows ?? [];
  for (const row of rows) {
    select.append(h('option', { value: row.group, selected: row.group === c.group }, row.name ?? `${c.dim} ${row.id}`));
  }
  return rows;
}

function part(id, title, ...tools) {
  const body = h('div.part-body', null, h('p.loading', null, 'Loading…'));
  const el = h('section.report-part', { id, 'aria-labelledby': `${id}-title` },
    h('div.part-head', null, h('h2', { id: `${id}-title` }, title), ...tools), body);
  return { el, body };
}

/** Runs `load` for a section; its answer or its error replaces the section's "Loading…". */
async function fill(p, label, load) {
  try {
    p.body.replaceChildren(...[await load()].flat());
  } catch (error) {
    p.body.replaceChildren(h('p.error', { role: 'alert' }, `Could not load ${label}: ${describe(error)}`));
  }
}

const series = (answer) => answer?.points ?? [];

export function showReports(root, params) {
  const c = choices(params);
  let disposed = false;
  let refresh = null;
  const opened = Date.now();
  const head = h('p.hint', { id: 'report-range' });
  const error = h('div', { id: 'report-error' });
  const { form, group } = controls(c, (next) => go(next));
  const page = h('section.reports', null,
    h('div.view-head', null, h('h1', null, 'Reports'), head), form, error);
  clear(root).append(page);

  async function load() {
    error.replaceChildren();
    try {
      if (!timezone) timezone = (await get(`${BASE}/summary`))?.timezone ?? 'UTC';
    } catch (e) {
      error.replaceChildren(h('p.error', { role: 'alert' }, `Reports are not available: ${describe(e)}`));
      return;
    }
    if (disposed) return;
    const r = range(timezone, c);
    const common = { since: r.since, until: r.until, business_hours: c.bh ? 'true' : null };
    const grouped = { ...common, group: c.group || null };
    head.textContent = `${r.first} – ${r.last}, ${timezone} time`;
    const parts = {
      kpis: part('report-kpis', 'Key figures', csvLink('Summary', `${BASE}/summary`, clean(grouped), 'summary.csv')),
      trends: part('report-trends', 'Trends',
        csvLink('Conversations', `${BASE}/timeseries`, clean({ ...grouped, metric: 'conversations', granularity: r.granularity }), 'conversations.csv')),
      peak: part('report-peak', 'Peak hours', csvLink('Peak hours', `${BASE}/peak-hours`, clean(common), 'peak-hours.csv')),
      dist: part('report-distribution', 'Distributions'),
      top: part('report-top', 'Top issues'),
      bot: part('report-bot', 'Bot and CSAT'),
      groups: c.dim ? part('report-breakdown', `By ${c.dim}`,
        csvLink('Breakdown', `${BASE}/breakdown`, clean({ ...common, dimension: c.dim }), `breakdown-${c.dim}.csv`)) : null,
      digests: part('report-digests', 'Digests'),
    };
    page.querySelectorAll('.report-part, #report-empty').forEach((el) => el.remove());
    page.append(...Object.values(parts).filter(Boolean).map((p) => p.el));

    const summary = get(`${BASE}/summary`, grouped);
    summary.then((s) => {
      const cur = s?.current ?? {};
      if (!cur.conversations && !cur.incoming_messages && !cur.outgoing_messages && !cur.resolutions) {
        form.after(h('p.empty', { id: 'report-empty', role: 'status' }, 'No data in this period.'));
      }
    }, () => {});
    const groupRows = fillGroups(group, c, common);
    await Promise.all([
      fill(parts.kpis, 'the key figures', async () => kpiCards(await summary, c.bh)),
      fill(parts.trends, 'the trends', () => trends(grouped, r.granularity)),
      fill(parts.peak, 'the peak hours', async () => {
        const peak = await get(`${BASE}/peak-hours`, { ...common, volume: 'conversations' });
        return heatMap({ id: 'chart-peak-hours', title: `Conversations by weekday and hour (${peak.timezone ?? timezone})`,
          weekdays: peak.weekdays, grid: peak.grid, unit: 'conversations' });
      }),
      fill(parts.dist, 'the distributions', () => distributions(common)),
      fill(parts.top, 'the top issues', async () => topIssues(await get(`${BASE}/top-issues`, common))),
      fill(parts.bot, 'the bot and CSAT figures', async () => botAndCsat(await summary)),
      parts.groups && fill(parts.groups, `the breakdown by ${c.dim}`, async () => breakdown(await groupRows, c)),
      fill(parts.digests, 'the digests', () => digestList(timezone)),
    ]);
  }

  load();
  return {
    onRecord(record) {
      // A fixed past period cannot change; a period ending today follows new conversations, at most every 10 s.
      if (c.period === 'custom' || !['message_recorded', 'conversation_updated', 'draft_decided', 'handoff'].includes(record.kind)) return;
      // The stream first replays what happened before the page was opened, which the figures already hold.
      if ((record.at_ms ?? Date.now()) < opened) return;
      if (!refresh) refresh = setTimeout(() => { refresh = null; if (!disposed) load(); }, 10000);
    },
    dispose() {
      disposed = true;
      clearTimeout(refresh);
    },
  };
}

function clean(params) {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v != null && v !== ''));
}

async function trends(params, granularity) {
  const ts = (metric, stat) => get(`${BASE}/timeseries`, { ...params, metric, granularity, stat });
  const [conversations, incoming, outgoing, fr50, fr90, res50, csat] = await Promise.all([
    ts('conversations'), ts('incoming_messages'), ts('outgoing_messages'), ts('first_response', 'p50'),
    ts('first_response', 'p90'), ts('resolution_time', 'p50'), ts('csat_score')]);
  const labels = series(conversations).map((p) => pointLabel(p.start, granularity));
  const values = (answer) => series(answer).map((p) => p.value ?? null);
  return h('div.charts', null,
    seriesChart({ id: 'chart-conversations', title: 'Conversations', labels,
      series: [{ name: 'Conversations', kind: 'bar', values: values(conversations) }], format: count }),
    seriesChart({ id: 'chart-messages', title: 'Messages', labels, format: count,
      series: [{ name: 'Incoming', kind: 'bar', values: values(incoming) }, { name: 'Outgoing', kind: 'bar', values: values(outgoing) }] }),
    seriesChart({ id: 'chart-first-response', title: 'First response time', labels, format: duration, seconds: true,
      series: [{ name: 'Median', kind: 'line', values: values(fr50) }, { name: 'p90', kind: 'line', values: values(fr90) }] }),
    seriesChart({ id: 'chart-resolution', title: 'Resolution time (median)', labels, format: duration, seconds: true,
      series: [{ name: 'Median', kind: 'line', values: values(res50) }] }),
    seriesChart({ id: 'chart-csat', title: 'CSAT score', labels, format: pct,
      series: [{ name: 'Score', kind: 'line', values: values(csat) }] }));
}

async function distributions(params) {
  const charts = await Promise.all([['first_response', 'First response'], ['resolution_time', 'Resolution time']]
    .map(async ([metric, title]) => {
      const answer = await get(`${BASE}/distribution`, { ...params, metric });
      const buckets = answer?.buckets ?? [];
      const labels = buckets.map((b, i) => bucketLabel(b.le, i ? buckets[i - 1].le : null));
      return seriesChart({ id: `chart-dist-${metric.replace('_', '-')}`, title: `${title}: how long`, labels, format: count,
        series: [{ name: 'Conversations', kind: 'bar', values: buckets.map((b) => b.count) }] });
    }));
  return h('div.charts', null, charts);
}

function breakdown(rows, c) {
  if (!rows?.length) return h('p.empty', null, 'No data in this period.');
  return h('div.table-wrap', null, h('table.breakdown', { id: 'breakdown-table' },
    h('thead', null, h('tr', null, [c.dim, 'Conversations', 'Resolutions', 'First response (median)', 'CSAT']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((r) => h('tr', { dataset: { group: r.group } },
      h('th', { scope: 'row' }, h('a', { href: `#/reports?${new URLSearchParams({ period: c.period, ...(c.period === 'custom' ? { since: c.since, until: c.until } : {}), dim: c.dim, group: r.group, ...(c.bh ? { bh: '1' } : {}) })}` }, r.name ?? `${c.dim} ${r.id}`)),
      h('td', null, count(r.figures?.conversations)), h('td', null, count(r.figures?.resolutions)),
      h('td', null, duration(c.bh ? r.figures?.first_response?.business?.p50 : r.figures?.first_response?.p50)),
      h('td', null, pct(r.figures?.csat?.score)))))));
}
