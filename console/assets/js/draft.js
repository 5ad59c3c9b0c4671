// A draft card: the customer's message, the draft, its sources and confidence, grades, and approve / edit /
// reject. Used by the queue (many cards, keyboard driven) and the conversation (the conversation's drafts).

import { get, write, describe } from './api.js';
import { h, append, clear, ago, percent, safeUrl, badge } from './ui.js';

const CRITERIA = ['tone', 'accuracy', 'policy'];
const DONE = { approved: 'Approved', rejected: 'Rejected', stale: 'Stale', auto: 'Sent automatically' };

export class DraftCard {
  constructor(draft, { showConversation = true, onDecided = () => {} } = {}) {
    this.draft = draft;
    this.showConversation = showConversation;
    this.onDecided = onDecided;
    this.grades = { tone: null, accuracy: null, policy: null };
    this.mode = 'view';
    this.el = h('article.card.draft', { tabindex: -1, dataset: { draftId: draft.id } });
    this.render();
  }

  get pending() {
    return this.draft.status === 'pending';
  }

  render() {
    const d = this.draft;
    this.el.dataset.status = d.status;
    const head = h('header.draft-head', null,
      h('strong', null, `Draft #${d.id}`),
      this.showConversation ? h('a.conv-link', { href: `#/c/${d.conversation_id}` }, `conversation #${d.conversation_id}`) : null,
      h('span.age', { title: d.created_at }, ago(d.created_at)),
      badge(d.model ? `${d.responder} · ${d.model}` : d.responder, 'muted'),
      d.confidence != null ? badge(`confidence ${percent(d.confidence)}`, d.confidence < 0.5 ? 'warn' : 'ok') : null);
    const customer = d.customer_message
      ? h('blockquote.customer', null, h('span.label', null, 'Customer'), h('p', null, d.customer_message))
      : null;
    this.text = h('div.draft-text', null, d.final_text ?? d.text);
    this.editor = h('textarea.draft-edit', {
      'aria-label': 'Edited draft',
      rows: 6,
      hidden: true,
      onkeydown: (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          this.approve();
        } else if (event.key === 'Escape') {
          event.preventDefault();
          this.cancel();
        }
      },
    });
    const sources = d.sources?.length
      ? h('ul.sources', { 'aria-label': 'Sources' }, d.sources.map((s) => h('li', null,
        safeUrl(s.url) ? h('a', { href: safeUrl(s.url), target: '_blank', rel: 'noopener noreferrer' }, s.title ?? s.id)
          : (s.title ?? String(s.id)),
        typeof s.score === 'number' ? h('span.score', null, ` ${percent(s.score)}`) : null)))
      : h('p.sources.none', null, 'No sources');
    const fallback = d.fallback_reason ? h('p.fallback', null, h('span.label', null, 'Fallback: '), d.fallback_reason) : null;
    this.reason = h('input.reason', {
      'aria-label': 'Reason for rejecting', placeholder: 'Why? (e.g. outdated policy)',
      onkeydown: (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          this.reject();
        } else if (event.key === 'Escape') {
          event.preventDefault();
          this.cancel();
        }
      },
    });
    this.rejectRow = h('div.reject-row', { hidden: true }, this.reason,
      h('button.danger', { type: 'button', onclick: () => this.reject() }, 'Reject'),
      h('button', { type: 'button', onclick: () => this.cancel() }, 'Cancel'));
    this.gradeRow = h('div.grades', null, CRITERIA.map((c) => h('div.grade', { role: 'group', 'aria-label': c },
      h('span.label', null, c),
      [1, 2, 3, 4, 5].map((n) => h('button.g', {
        type: 'button', dataset: { criterion: c, value: n }, 'aria-pressed': String(this.grades[c] === n),
        onclick: () => this.setGrade(c, n),
      }, String(n))))));
    this.actions = h('div.actions', null,
      h('button.primary.approve', { type: 'button', onclick: () => this.approve(), title: 'Approve (a)' }, 'Approve'),
      h('button.edit', { type: 'button', onclick: () => this.edit(), title: 'Edit, then approve (e)' }, 'Edit'),
      h('button.danger.reject', { type: 'button', onclick: () => this.startReject(), title: 'Reject (r)' }, 'Reject'));
    this.note = h('p.note', { role: 'status' });
    clear(this.el);
    append(this.el, [head, customer, this.text, this.editor, sources, fallback]);
    if (this.pending) append(this.el, [this.gradeRow, this.rejectRow, this.actions]);
    append(this.el, [this.note]);
    this.showOutcome();
  }

  showOutcome(extra) {
    const d = this.draft;
    if (this.pending && !extra) return;
    const who = d.decided_by?.name;
    const parts = [DONE[d.status] ?? d.status];
    if (who) parts.push(`by ${who}`);
    if (d.via === 'chatwoot') parts.push('in Chatwoot');
    if (d.edited) parts.push('(edited)');
    if (d.reason) parts.push(`: ${d.reason}`);
    this.setNote(extra ?? parts.join(' '), extra ? 'warn' : 'done');
  }

  setNote(text, kind = '') {
    this.note.textContent = text ?? '';
    this.note.className = `note ${kind}`;
  }

  setGrade(criterion, value) {
    this.grades[criterion] = this.grades[criterion] === value ? null : value;
    for (const button of this.gradeRow.querySelectorAll(`button[data-criterion="${criterion}"]`)) {
      button.setAttribute('aria-pressed', String(Number(button.dataset.value) === this.grades[criterion]));
    }
  }

  /** A digit key grades the first criterion without a grade (tone, accuracy, policy, then tone again). */
  gradeNext(value) {
    let next = CRITERIA.find((c) => this.grades[c] == null);
    if (!next) {
      for (const c of CRITERIA) this.setGrade(c, this.grades[c]);
      next = CRITERIA[0];
    }
    this.setGrade(next, value);
  }

  edit() {
    if (!this.pending) return;
    this.cancel();
    this.mode = 'edit';
    this.editor.value = this.draft.text;
    this.editor.hidden = false;
    this.text.hidden = true;
    this.editor.focus();
  }

  startReject() {
    if (!this.pending) return;
    this.cancel();
    this.mode = 'reject';
    this.rejectRow.hidden = false;
    this.reason.focus();
  }

  cancel() {
    this.mode = 'view';
    this.editor.hidden = true;
    this.text.hidden = false;
    this.rejectRow.hidden = true;
    this.el.focus();
  }

  approve() {
    if (!this.pending) return;
    const edited = this.mode === 'edit' ? this.editor.value.trim() : null;
    if (this.mode === 'edit' && !edited) {
      this.setNote('The edited text is empty.', 'error');
      return;
    }
    const body = { decision: 'approve' };
    if (edited && edited !== this.draft.text.trim()) body.text = edited;
    this.decide(body);
  }

  reject() {
    if (!this.pending) return;
    const body = { decision: 'reject' };
    const reason = this.reason.value.trim();
    if (reason) body.reason = reason;
    this.decide(body);
  }

  async decide(body) {
    const grades = Object.fromEntries(Object.entries(this.grades).filter(([, v]) => v != null));
    if (Object.keys(grades).length) body.grades = grades;
    this.busy(true);
    this.setNote(body.decision === 'approve' ? 'Approving…' : 'Rejecting…');
    try {
      const result = await write('POST', `/api/v1/approvals/${this.draft.id}/decision`, body);
      if (result.status === 'pending') {
        this.setNote('Accepted; the pipeline is still carrying it out.');
        return;
      }
      const fresh = await get(`/api/v1/approvals/${this.draft.id}`).catch(() => null);
      if (result.status === 'refused') {
        if (fresh) this.update(fresh, { quiet: true });
        const who = fresh?.decided_by?.name;
        this.showOutcome(fresh && fresh.status !== 'pending'
          ? `Already ${fresh.status}${who ? ` by ${who}` : ''}: your decision was not applied.`
          : `Refused: ${result.detail ?? 'the draft can no longer be decided.'}`);
      } else {
        this.update(fresh ?? { ...this.draft, status: body.decision === 'approve' ? 'approved' : 'rejected' });
      }
      this.onDecided(this);
    } catch (error) {
      this.setNote(describe(error), 'error');
    } finally {
      this.busy(false);
    }
  }

  busy(on) {
    this.el.classList.toggle('busy', on);
    for (const button of this.el.querySelectorAll('button')) button.disabled = on;
  }

  update(draft, { quiet = false } = {}) {
    const wasEditing = this.mode !== 'view' && this.pending;
    this.draft = { ...this.draft, ...draft };
    this.mode = 'view';
    this.render();
    if (!quiet && wasEditing && !this.pending) this.showOutcome(`${DONE[this.draft.status] ?? this.draft.status} by ${this.draft.decided_by?.name ?? 'someone else'} meanwhile.`);
  }

  /** A `draft_decided` activity record (a decision made in Chatwoot, by another agent, or by us). */
  applyRecord(record) {
    const data = record.data ?? {};
    this.update({
      status: data.decision ?? this.draft.status,
      final_text: data.final_text ?? this.draft.final_text,
      decided_by: data.decided_by ?? null,
      reason: data.reason ?? null,
      edited: Boolean(data.edited),
      via: data.via,
    });
    this.onDecided(this);
  }
}
