// The inbox: conversations, newest activity first, with the contract's filters; the filters live in the URL
// (`#/inbox?status=open&q=refund`) so a filtered view can be bookmarked and survives a reload.

import { get, describe } from './api.js';
import { h, clear, ago, badge } from './ui.js';

const FILTERS = ['status', 'priority', 'assignee_id', 'label', 'category', 'escalation', 'q'];

function select(name, label, options, value) {
  return h('label.filter', null, h('span', null, label),
    h('select', { name }, h('option', { value: '' }, 'any'),
      options.map((o) => h('option', { value: o, selected: o === value }, o))));
}

function input(name, label, value, attrs = {}) {
  return h('label.filter', null, h('span', null, label), h('input', { name, value: value ?? '', ...attrs }));
}

export function showInbox(root, params) {
  let cursor = null;
  let disposed = false;
  let reloadTimer = null;
  const current = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? '']));

  const form = h('form.filters', {
    role: 'search',
    onsubmit: (event) => {
      event.preventDefault();
      const search = new URLSearchParams();
      for (const [key, value] of new FormData(form)) if (String(value).trim()) search.set(key, String(value).trim());
      location.hash = `#/inbox?${search}`;
    },
  },
  input('q', 'Search', current.q, { type: 'search', placeholder: 'name, e-mail, text' }),
  select('status', 'Status', ['open', 'pending', 'snoozed', 'resolved'], current.status),
  select('priority', 'Priority', ['urgent', 'high', 'medium', 'low', 'none'], current.priority),
  select('escalation', 'Escalation', ['any', 'legal', 'fraud'], current.escalation),
  input('assignee_id', 'Assignee id', current.assignee_id, { inputmode: 'numeric', size: 5 }),
  input('label', 'Label', current.label, { size: 10 }),
  input('category', 'Category', current.category, { size: 10 }),
  h('button.primary', { type: 'submit' }, 'Filter'));
  const list = h('ul.conversations', { id: 'inbox-list' });
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(true) }, 'More');
  clear(root).append(h('section.inbox', null, h('div.view-head', null, h('h1', null, 'Inbox')), form, list, more));

  async function load(append = false) {
    if (!append) {
      cursor = null;
      list.replaceChildren(h('li.loading', null, 'Loading…'));
    }
    try {
      const page = await get('/api/v1/conversations', { ...current, limit: 50, cursor });
      if (disposed) return;
      if (!append) list.replaceChildren();
      for (const conversation of page.data ?? []) list.append(row(conversation));
      if (!list.children.length) list.append(h('li.empty', null, 'No conversations match.'));
      cursor = page.next_cursor ?? null;
      more.hidden = !cursor;
    } catch (error) {
      list.replaceChildren(h('li.error', { role: 'alert' }, describe(error)));
    }
  }
  load();

  return {
    onRecord(record) {
      // Only the first page is refreshed live; a later page would jump under the reader.
      if (cursor && list.children.length > 50) return;
      if (['message_recorded', 'conversation_updated', 'draft_created', 'draft_decided', 'handoff'].includes(record.kind)) {
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => load(), 800);
      }
    },
    dispose() {
      disposed = true;
      clearTimeout(reloadTimer);
    },
  };
}

function row(c) {
  const last = c.last_message;
  return h('li.conversation', { dataset: { conversationId: c.id } },
    h('a.row', { href: `#/c/${c.id}` },
      h('div.row-head', null,
        h('strong', null, c.contact?.name || c.contact?.email || `Contact ${c.contact?.id ?? ''}`),
        h('span.id', null, `#${c.id}`),
        h('span.age', { title: c.last_event_at }, ago(c.last_event_at))),
      last ? h('p.snippet', null, last.message_type === 'incoming' ? '' : '↩ ', last.content ?? '') : null,
      h('div.badges', null,
        badge(c.status, `status-${c.status}`),
        badge(c.platform, 'platform'),
        c.priority ? badge(c.priority, c.priority === 'urgent' || c.priority === 'high' ? 'warn' : '') : null,
        c.escalation ? badge(`escalation: ${c.escalation}`, 'danger') : null,
        c.pending_drafts ? badge(`${c.pending_drafts} draft${c.pending_drafts > 1 ? 's' : ''} to review`, 'accent') : null,
        (c.categories ?? []).map((x) => badge(x, 'muted')),
        (c.labels ?? []).map((x) => badge(`🏷 ${x}`, 'muted')),
        c.assignee_id ? badge(`agent ${c.assignee_id}`, 'muted') : badge('unassigned', 'muted'),
        c.bot_silenced ? badge('bot silenced', 'muted') : null)));
}
