// The Reports page's pieces that are not charts: KPI cards with the change against the previous period, bot and
// CSAT figures, top issues, the digests list, and CSV downloads (fetched with the bearer token, since a plain
// link cannot carry it, then handed to the browser as a file).

import { describe, get } from './api.js';
import { getToken } from './auth.js';
import { barList } from './charts.js';
import { count, duration, pct, periodLabel } from './period.js';
import { h, time } from './ui.js';

/** Which way is better: `lower` for durations and handoffs, `higher` for scores, `none` for volumes. */
const KPIS = [
  { key: 'conversations', label: 'Conversations', get: (f) => f.conversations, fmt: count, better: 'none' },
  { key: 'incoming_messages', label: 'Incoming messages', get: (f) => f.incoming_messages, fmt: count, better: 'none' },
  { key: 'resolutions', label: 'Resolutions', get: (f) => f.resolutions, fmt: count, better: 'higher' },
  { key: 'first_response_p50', label: 'First response (median)', get: (f, bh) => stat(f.first_response, 'p50', bh), fmt: duration, better: 'lower' },
  { key: 'first_response_p90', label: 'First response (p90)', get: (f, bh) => stat(f.first_response, 'p90', bh), fmt: duration, better: 'lower' },
  { key: 'reply_time_p50', label: 'Reply time (median)', get: (f, bh) => stat(f.reply_time, 'p50', bh), fmt: duration, better: 'lower' },
  { key: 'resolution_time_p50', label: 'Resolution time (median)', get: (f, bh) => stat(f.resolution_time, 'p50', bh), fmt: duration, better: 'lower' },
  { key: 'csat_score', label: 'CSAT score', get: (f) => f.csat?.score, fmt: pct, better: 'higher', points: true },
  { key: 'bot_handoffs', label: 'Bot handoffs', get: (f) => f.bot_handoffs, fmt: count, better: 'lower' },
  { key: 'approval_rate', label: 'Draft approval rate', get: (f) => f.bot?.approval_rate, fmt: pct, better: 'higher', points: true },
];

/** A duration statistic, in business hours when asked. */
export function stat(figure, name, businessHours) {
  return (businessHours ? figure?.business?.[name] : figure?.[name]) ?? null;
}

/** The change against the previous period: relative for counts and durations, in points for rates. */
export function change(now, before, { points = false, better = 'none' } = {}) {
  if (now == null || before == null) return { text: 'no comparison', dir: 0, verdict: 'neutral' };
  const delta = now - before;
  let text;
  if (points) text = `${Math.abs(delta).toFixed(1)} pts`;
  else if (before === 0) text = now === 0 ? '0%' : 'new';
  else text = `${Math.round(Math.abs(delta / before) * 100)}%`;
  const dir = Math.sign(delta);
  let verdict = 'neutral';
  if (dir !== 0 && better !== 'none') verdict = (better === 'lower') === dir < 0 ? 'better' : 'worse';
  return { text, dir, verdict };
}

export function kpiCards(summary, businessHours) {
  const cur = summary.current ?? {};
  const prev = summary.previous ?? {};
  return h('div.kpis', { id: 'kpis' }, KPIS.map((k) => {
    const now = k.get(cur, businessHours);
    const before = k.get(prev, businessHours);
    const c = change(now, before, k);
    const arrow = c.dir > 0 ? '▲' : c.dir < 0 ? '▼' : '';
    const words = c.dir === 0 ? 'unchanged' : `${c.dir > 0 ? 'up' : 'down'} ${c.text}`;
    return h('div.kpi', { dataset: { kpi: k.key } },
      h('div.kpi-label', null, k.label),
      h('div.kpi-value', null, k.fmt(now)),
      h(`div.change.${c.verdict}`, { title: `Previous period: ${k.fmt(before)}` },
        h('span', { 'aria-hidden': 'true' }, arrow, ' '),
        h('span.visually-hidden', null, `${words} (${c.verdict === 'neutral' ? 'no verdict' : c.verdict}) against the previous period: `),
        h('span', { 'aria-hidden': 'true' }, c.dir === 0 && now != null && before != null ? '0%' : c.text),
        h('span.vs', null, ` vs ${k.fmt(before)}`)));
  }));
}

function facts(pairs) {
  return h('dl.facts', null, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

export function botAndCsat(summary) {
  const bot = summary.current?.bot ?? {};
  const csat = summary.current?.csat ?? {};
  const ratings = csat.ratings ?? [0, 0, 0, 0, 0];
  return h('div.split', null,
    h('div.card', { id: 'bot-figures' },
      h('h3', null, 'Bot'),
      facts([
        ['Drafts', count(bot.drafts)], ['Approval rate', pct(bot.approval_rate)],
        ['Handoffs', count(bot.handoffs)], ['Escalations', count(bot.escalations)],
        ['SLA breaches', count(bot.sla_breaches)], ['Median decision', duration(bot.median_decision_seconds)],
      ]),
      // `approved` includes the drafts approved with an edit.
      barList({ id: 'draft-outcomes', rows: [
        ['approved as written', (bot.approved ?? 0) - (bot.edited ?? 0)], ['approved with edits', bot.edited ?? 0],
        ['rejected', bot.rejected ?? 0], ['stale', bot.stale ?? 0], ['sent without review', bot.auto ?? 0],
      ].map(([label, value]) => ({ label, value })), empty: 'No draft decided in this period.' })),
    h('div.card', { id: 'csat-figures' },
      h('h3', null, 'CSAT'),
      facts([
        ['Score', pct(csat.score)], ['Response rate', pct(csat.response_rate)],
        ['Surveys sent', count(csat.surveys_sent)], ['Responses', count(csat.responses)],
      ]),
      barList({ id: 'csat-ratings', rows: ratings.map((n, i) => ({ label: `${'★'.repeat(i + 1)}`, value: n, text: count(n) })),
        empty: 'No ratings in this period.' })));
}

export function topIssues(top) {
  const list = (id, title, rows) => h('div.card', null, h('h3', null, title),
    barList({ id, rows: (rows ?? []).slice(0, 8).map((r) => {
      const c = change(r.count, r.previous);
      const rel = r.change == null ? (r.previous ? c.text : 'new') : `${Math.round(Math.abs(r.change) * 100)}%`;
      const arrow = r.count > (r.previous ?? 0) ? '▲' : r.count < (r.previous ?? 0) ? '▼' : '';
      // More of an issue is worse, whatever the issue.
      const verdict = arrow === '▲' ? 'worse' : arrow === '▼' ? 'better' : 'neutral';
      return { label: r.key, value: r.count, text: count(r.count),
        extra: h(`span.change.${verdict}`, { title: `Previous period: ${r.previous ?? 0}` }, `${arrow} ${rel}`) };
    }), empty: 'None in this period.' }));
  return h('div.triple', null,
    list('top-categories', 'Categories', top.categories),
    list('top-escalations', 'Escalations', top.escalations),
    list('top-labels', 'Labels', top.labels));
}

/** A link that downloads `path` (with `format=csv`) through an authenticated fetch. */
export function csvLink(label, path, params, filename) {
  const search = new URLSearchParams({ ...params, format: 'csv' });
  const url = `${path}?${search}`;
  const note = h('span.csv-note', { role: 'status' });
  const link = h('a.csv', { href: url, download: filename, dataset: { csv: filename },
    onclick: async (event) => {
      event.preventDefault();
      note.textContent = 'Downloading…';
      try {
        const response = await fetch(url, { headers: { Authorization: `Bearer ${getToken()}`, Accept: 'text/csv' }, cache: 'no-store' });
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        const blob = await response.blob();
        const href = URL.createObjectURL(blob);
        const a = h('a', { href, download: filename, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(href), 10000);
        note.textContent = `Downloaded ${filename} (${blob.size} bytes)`;
      } catch (error) {
        note.textContent = `Download failed: ${describe(error)}`;
      }
    } }, `⤓ ${label} (CSV)`);
  return h('span.csv-wrap', null, link, ' ', note);
}

/** The newest digests, each a link to its page; periods are named in the tenant's zone `tz`. */
export async function digestList(tz) {
  const box = h('div.card', { id: 'digests' }, h('h3', null, 'Daily and weekly digests'));
  try {
    const page = await get('/api/v1/reports/digests', { limit: 20 });
    const items = page?.data ?? [];
    if (!items.length) {
      box.append(h('p.empty', null, 'No digests yet: they are written after each day and week.'));
    } else {
      box.append(h('ul.digest-list', null, items.map((d) => h('li', { dataset: { kind: d.kind } },
        h('a', { href: `#/reports/digests/${encodeURIComponent(d.id)}` },
          h('span.digest-kind', null, d.kind === 'weekly' ? 'Weekly' : 'Daily'), ' · ',
          periodLabel(d.kind, d.period_start, d.period_end, tz)),
        h('span.hint', { title: time(d.created_at) }, ` written ${time(d.created_at)}`)))));
    }
  } catch (error) {
    box.append(h('p.error', { role: 'alert' }, error.status === 404
      ? 'Digests are not available on this server.' : `Could not load the digests: ${describe(error)}`));
  }
  return box;
}
