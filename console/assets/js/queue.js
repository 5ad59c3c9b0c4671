// The approvals queue: every pending draft of the tenant, newest or oldest first, driven by the keyboard.

import { all, get, describe } from './api.js';
import { DraftCard } from './draft.js';
import { h, clear, typing, toast } from './ui.js';

export function showQueue(root, params) {
  const order = params.get('order') === 'oldest' ? 'oldest' : 'newest';
  let cards = [];
  let selected = -1;
  let disposed = false;

  const list = h('div.cards', { id: 'queue-list' });
  const count = h('span.count', { id: 'queue-total' });
  const orderSelect = h('select', {
    'aria-label': 'Order',
    onchange: () => { location.hash = `#/queue?order=${orderSelect.value}`; },
  }, h('option', { value: 'newest', selected: order === 'newest' }, 'Newest first'),
  h('option', { value: 'oldest', selected: order === 'oldest' }, 'Oldest first'));
  clear(root).append(h('section.queue', null,
    h('div.view-head', null,
      h('h1', null, 'Approvals ', count),
      orderSelect,
      h('button', { type: 'button', onclick: () => load() }, 'Refresh'),
      h('button.ghost', { type: 'button', title: 'Keyboard shortcuts (?)', onclick: () => document.getElementById('help').showModal() }, '?')),
    list));

  const pendingCount = () => cards.filter((c) => c.pending).length;
  const refreshCount = () => { count.textContent = `(${pendingCount()})`; };
  const empty = () => {
    if (!cards.length) list.replaceChildren(h('p.empty', null, 'No drafts waiting for review. New ones appear here as they are written.'));
  };

  const select = (index, focus = true) => {
    if (!cards.length) return;
    selected = Math.max(0, Math.min(index, cards.length - 1));
    cards.forEach((card, i) => card.el.classList.toggle('selected', i === selected));
    const card = cards[selected];
    card.el.scrollIntoView({ block: 'nearest' });
    if (focus) card.el.focus({ preventScroll: true });
  };

  const add = (draft, { atEnd }) => {
    if (cards.some((c) => c.draft.id === draft.id)) return;
    const card = new DraftCard(draft, { onDecided: refreshCount });
    card.el.addEventListener('focusin', () => {
      const i = cards.indexOf(card);
      if (i !== selected && i >= 0) select(i, false);
    });
    if (!cards.length) list.replaceChildren();
    if (atEnd) {
      cards.push(card);
      list.append(card.el);
    } else {
      cards.unshift(card);
      list.prepend(card.el);
      if (selected >= 0) selected += 1;
    }
    refreshCount();
  };

  async function load() {
    list.replaceChildren(h('p.loading', null, 'Loading…'));
    try {
      const drafts = await all('/api/v1/approvals', { status: 'pending', order }, 500);
      if (disposed) return;
      cards = [];
      selected = -1;
      list.replaceChildren();
      for (const draft of drafts) add(draft, { atEnd: true });
      empty();
      refreshCount();
      select(0, false);
    } catch (error) {
      list.replaceChildren(h('p.error', { role: 'alert' }, describe(error)));
    }
  }

  const onKey = (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector('dialog[open]')) return;
    const card = cards[selected];
    const keys = {
      j: () => select(selected + 1), ArrowDown: () => select(selected + 1),
      k: () => select(selected - 1), ArrowUp: () => select(selected - 1),
      a: () => card?.approve(), e: () => card?.edit(), r: () => card?.startReject(),
      o: () => card && (location.hash = `#/c/${card.draft.conversation_id}`),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    } else if (/^[1-5]$/.test(event.key) && card?.pending) {
      event.preventDefault();
      card.gradeNext(Number(event.key));
    }
  };
  document.addEventListener('keydown', onKey);
  load();

  return {
    async onRecord(record) {
      const id = record.data?.draft_id;
      if (record.kind === 'draft_created' && record.data?.status === 'pending') {
        try {
          const draft = await get(`/api/v1/approvals/${id}`);
          if (!disposed && draft.status === 'pending') add(draft, { atEnd: order === 'oldest' });
        } catch (error) {
          toast(describe(error), { kind: 'error' });
        }
      } else if (record.kind === 'draft_decided') {
        cards.find((c) => c.draft.id === id)?.applyRecord(record);
        refreshCount();
      }
    },
    dispose() {
      disposed = true;
      document.removeEventListener('keydown', onKey);
    },
  };
}
