// One daily or weekly digest (`#/reports/digests/{id}`): its Markdown rendered safely, and where it was delivered.

import { describe, get } from './api.js';
import { render } from './markdown.js';
import { periodLabel } from './period.js';
import { h, clear, time } from './ui.js';

export function showDigest(root, id) {
  let disposed = false;
  const body = h('div.card.digest', { id: 'digest' }, h('p.loading', null, 'Loading…'));
  const title = h('h1', null, 'Digest');
  clear(root).append(h('section.digest-view', null,
    h('div.view-head', null, h('a.back', { href: '#/reports' }, '← Reports'), title), body));

  (async () => {
    try {
      const digest = await get(`/api/v1/reports/digests/${encodeURIComponent(id)}`);
      if (disposed) return;
      title.textContent = `${digest.kind === 'weekly' ? 'Weekly' : 'Daily'} digest: ${periodLabel(digest.kind, digest.period_start, digest.period_end, digest.timezone)}`;
      const deliveries = digest.deliveries ?? [];
      body.replaceChildren(...[render(digest.markdown),
        deliveries.length ? h('div.deliveries', null, h('h3', null, 'Deliveries'),
          h('ul', null, deliveries.map((d) => h('li', { dataset: { channel: d.channel, status: d.status } },
            `${d.channel}: ${d.status}`, d.delivered_at ? ` (${time(d.delivered_at)})` : '',
            d.attempts > 1 ? `, ${d.attempts} attempts` : '', d.last_error ? ` — ${d.last_error}` : '')))) : null].filter(Boolean));
    } catch (error) {
      body.replaceChildren(h('p.error', { role: 'alert' }, `Could not load the digest: ${describe(error)}`));
    }
  })();

  return {
    onRecord() {},
    dispose() {
      disposed = true;
    },
  };
}
