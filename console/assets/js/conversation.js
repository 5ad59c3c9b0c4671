// One conversation: its drafts to review first (what the Dashboard App tab is for), then the thread, a reply box
// with a private-note toggle, and the conversation's details and actions (resolve, priority, assign, escalate).

import { all, get, write, describe } from './api.js';
import { DraftCard } from './draft.js';
import { activityItem, draftNoteId, messageFromRecord, messageItem } from './thread.js';
import { h, append, clear, badge, toast, triageLine } from './ui.js';

export function showConversation(root, id, { embedded = false } = {}) {
  let disposed = false;
  let conversation = null;
  let headTimer = null;
  const cards = new Map();
  const seenMessages = new Set();

  const title = h('h1', null, `Conversation #${id}`);
  const badges = h('div.badges');
  const pendingBox = h('div.cards', { id: 'conversation-drafts' });
  const thread = h('ol.thread', { id: 'thread' });
  const activity = h('ol.events', { id: 'activity' });
  const side = h('div.side-body');
  // Outlives re-renders of the side panel, so an action's outcome stays visible after the reload it causes.
  const sideNote = h('p.note', { role: 'status' });
  const details = h('details.side', { open: !embedded && window.innerWidth > 760 },
    h('summary', null, 'Details and actions'), side);
  const text = h('textarea', { id: 'reply-text', rows: 3, 'aria-label': 'Reply', placeholder: 'Write a reply…' });
  const privateToggle = h('input', { type: 'checkbox', id: 'reply-private' });
  const replyNote = h('p.note', { role: 'status' });
  const sendButton = h('button.primary', { type: 'submit' }, 'Send');
  const reply = h('form.reply', {
    onsubmit: (event) => {
      event.preventDefault();
      send();
    },
  }, text, h('div.reply-bar', null,
    h('label.toggle', { for: 'reply-private' }, privateToggle, ' Private note'),
    sendButton), replyNote);
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
  privateToggle.addEventListener('change', () => {
    reply.classList.toggle('private', privateToggle.checked);
    sendButton.textContent = privateToggle.checked ? 'Add note' : 'Send';
  });

  clear(root).append(h('section.conversation', { dataset: { conversationId: id } },
    h('div.view-head', null, embedded ? null : h('a.back', { href: '#/inbox' }, '← Inbox'), title, badges),
    h('div.conv-grid', null,
      h('div.conv-main', null,
        h('section.drafts-section', null, h('h2', null, 'Drafts to review'), pendingBox),
        h('section', null, h('h2', null, 'Thread'), thread, reply)),
      h('aside.conv-side', null, details,
        h('details.activity-log', null, h('summary', null, 'Activity'), activity)))));

  const addCard = (draft) => {
    if (cards.has(draft.id)) return;
    const card = new DraftCard(draft, { showConversation: false });
    cards.set(draft.id, card);
    if (draft.status === 'pending') {
      pendingBox.querySelector('.empty')?.remove();
      pendingBox.append(card.el);
    } else {
      card.el.classList.add('compact');
      const item = h('li.draft-item', { dataset: { at: draft.created_at } }, card.el);
      // Right under the message it answers (the two clocks, Chatwoot's and ours, need not agree).
      const source = thread.querySelector(`li.msg[data-message-id="${draft.message_id}"]`);
      if (source) source.after(item);
      else insertByTime(item);
    }
  };

  const insertByTime = (item) => {
    const at = Date.parse(item.dataset.at);
    const after = [...thread.children].find((el) => Date.parse(el.dataset.at) > at);
    thread.insertBefore(item, after ?? null);
  };

  const addMessage = (message) => {
    if (message.id != null && seenMessages.has(message.id)) return;
    if (message.id != null) seenMessages.add(message.id);
    const draftId = draftNoteId(message);
    if (draftId != null && cards.has(draftId)) return;
    const local = [...thread.querySelectorAll('li.local')].find((el) => el.dataset.content === message.content);
    local?.remove();
    const item = messageItem(message);
    item.dataset.at = message.created_at;
    insertByTime(item);
  };

  function renderHead() {
    const c = conversation;
    title.textContent = `${c.contact?.name || c.contact?.email || 'Contact'} · #${c.id}`;
    badges.replaceChildren(...[
      badge(c.status, `status-${c.status}`),
      badge(c.platform, 'platform'),
      c.priority ? badge(c.priority, ['urgent', 'high'].includes(c.priority) ? 'warn' : '') : null,
      c.escalation ? badge(`escalation: ${c.escalation}`, 'danger') : null,
      c.bot_silenced ? badge('bot silenced', 'muted') : null,
    ].filter(Boolean));
    renderSide();
  }

  function renderSide() {
    const c = conversation;
    const note = sideNote;
    const act = async (label, method, path, body) => {
      note.textContent = `${label}…`;
      note.className = 'note';
      try {
        const result = await write(method, path, body);
        note.textContent = result.status === 'refused' ? `Refused: ${result.detail ?? ''}` : `${label}: ${result.status}`;
        note.className = `note ${result.status === 'refused' ? 'error' : 'done'}`;
        await reloadHead();
      } catch (error) {
        note.textContent = describe(error);
        note.className = 'note error';
      }
    };
    const path = `/api/v1/conversations/${id}`;
    const priority = h('select', { 'aria-label': 'Priority', onchange: () => act('Priority', 'PATCH', path, { priority: priority.value || null }) },
      ['', 'urgent', 'high', 'medium', 'low'].map((p) => h('option', { value: p, selected: (c.priority ?? '') === p }, p || 'none')));
    const assignee = h('input', { 'aria-label': 'Agent id', inputmode: 'numeric', size: 5, value: c.assignee_id ?? '' });
    const reason = h('input', { 'aria-label': 'Escalation reason', placeholder: 'reason' });
    const resolved = c.status === 'resolved';
    side.replaceChildren(
      h('dl.facts', null,
        h('dt', null, 'Contact'), h('dd', null, c.contact?.name ?? '—', c.contact?.email ? ` <${c.contact.email}>` : ''),
        h('dt', null, 'Inbox'), h('dd', null, String(c.inbox_id ?? '—')),
        h('dt', null, 'Assignee'), h('dd', null, c.assignee_id != null ? `agent ${c.assignee_id}` : 'unassigned'),
        h('dt', null, 'Team'), h('dd', null, c.team_id != null ? `team ${c.team_id}` : '—'),
        h('dt', null, 'Labels'), h('dd', null, (c.labels ?? []).join(', ') || '—'),
        h('dt', null, 'Categories'), h('dd', null, (c.categories ?? []).join(', ') || '—'),
        h('dt', null, 'Language'), h('dd', null, c.language ?? '—')),
      c.triage ? h('div.latest-triage', null, h('span.label', null, 'Latest triage'), triageLine(c.triage)) : null,
      h('div.side-actions', null,
        h('button', { type: 'button', id: 'resolve', onclick: () => act(resolved ? 'Reopen' : 'Resolve', 'PATCH', path, { status: resolved ? 'open' : 'resolved' }) },
          resolved ? 'Reopen' : 'Resolve'),
        h('label.inline', null, 'Priority ', priority),
        h('form.inline', { onsubmit: (e) => { e.preventDefault(); act('Assign', 'PATCH', path, { assignee_id: assignee.value.trim() ? Number(assignee.value) : null }); } },
          assignee, h('button', { type: 'submit' }, 'Assign')),
        h('form.inline', { onsubmit: (e) => { e.preventDefault(); act('Escalate', 'POST', `${path}/escalate`, { reason: reason.value.trim() || 'escalated from the console' }); } },
          reason, h('button.danger', { type: 'submit' }, 'Escalate'))),
      note);
  }

  async function reloadHead() {
    try {
      conversation = await get(`/api/v1/conversations/${id}`);
      if (!disposed) renderHead();
    } catch (error) {
      if (!disposed && !conversation) badges.replaceChildren(h('span.error', { role: 'alert' }, describe(error)));
    }
  }

  async function load() {
    pendingBox.replaceChildren(h('p.loading', null, 'Loading…'));
    try {
      const [head, drafts, messages, records] = await Promise.all([
        get(`/api/v1/conversations/${id}`),
        all('/api/v1/approvals', { conversation_id: id, order: 'oldest' }, 200),
        all(`/api/v1/conversations/${id}/messages`, {}, 1000),
        get('/api/v1/activity', { conversation_id: id, limit: 100 }).catch(() => ({ data: [] })),
      ]);
      if (disposed) return;
      conversation = head;
      renderHead();
      pendingBox.replaceChildren();
      // Drafts first, so their own "AI draft #N" notes are recognised; decided drafts then go under their message.
      for (const draft of drafts) cards.set(draft.id, null);
      messages.forEach(addMessage);
      for (const draft of drafts) {
        cards.delete(draft.id);
        addCard(draft);
      }
      if (!pendingBox.children.length) pendingBox.append(h('p.empty', null, 'No drafts waiting in this conversation.'));
      for (const record of (records.data ?? []).slice().reverse()) activity.append(activityItem(record));
    } catch (error) {
      pendingBox.replaceChildren(h('p.error', { role: 'alert' }, describe(error)));
    }
  }

  async function send() {
    const content = text.value.trim();
    if (!content) return;
    const isPrivate = privateToggle.checked;
    const local = h(`li.msg.local.${isPrivate ? 'note' : 'outgoing'}`, { dataset: { at: new Date().toISOString(), content } },
      h('div.msg-head', null, h('span.who', null, 'You'), isPrivate ? badge('private note', 'note') : null, h('span.state', null, 'sending…')),
      h('div.msg-body', null, content));
    thread.append(local);
    text.value = '';
    replyNote.textContent = '';
    try {
      const result = await write('POST', `/api/v1/conversations/${id}/messages`, { content, private: isPrivate });
      local.querySelector('.state').textContent = result.status === 'applied' ? 'sent' : result.status;
      if (result.status === 'refused') {
        local.classList.add('failed');
        replyNote.textContent = `Refused: ${result.detail ?? ''}`;
      }
    } catch (error) {
      local.classList.add('failed');
      local.querySelector('.state').textContent = 'not sent';
      replyNote.textContent = describe(error);
      text.value = content;
    }
  }

  load();

  return {
    async onRecord(record) {
      if (record.conversation_id !== id) return;
      activity.prepend(activityItem(record));
      const d = record.data ?? {};
      if (record.kind === 'message_recorded') addMessage(messageFromRecord(record));
      else if (record.kind === 'triaged') {
        const item = thread.querySelector(`li.msg[data-message-id="${d.message_id}"]`);
        if (item && !item.querySelector('.triage')) append(item, [triageLine(d.triage)]);
      } else if (record.kind === 'draft_created') {
        try {
          addCard(await get(`/api/v1/approvals/${d.draft_id}`));
        } catch (error) {
          toast(describe(error), { kind: 'error' });
        }
      } else if (record.kind === 'draft_decided') cards.get(d.draft_id)?.applyRecord(record);
      if (['conversation_updated', 'handoff', 'command_applied', 'triaged'].includes(record.kind)) {
        clearTimeout(headTimer);
        headTimer = setTimeout(reloadHead, 400);
      }
    },
    dispose() {
      disposed = true;
      clearTimeout(headTimer);
    },
  };
}
