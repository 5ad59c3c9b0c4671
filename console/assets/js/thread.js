// The items of a conversation's thread: messages (incoming, outgoing, private notes, activity) and activity
// records, rendered from the API's Message objects or from live `message_recorded` records.

import { h, time, ago, triageLine, badge } from './ui.js';

const TYPES = ['incoming', 'outgoing', 'activity', 'template'];

/** Chatwoot sends message_type as a name or as its enum number, depending on the payload. */
export function messageType(value) {
  return typeof value === 'number' ? TYPES[value] ?? 'activity' : value ?? 'activity';
}

/** A Message from a `message_recorded` activity record. */
export function messageFromRecord(record) {
  const d = record.data ?? {};
  return {
    id: d.message_id,
    message_type: messageType(d.message_type),
    private: Boolean(d.private),
    content: d.content ?? '',
    sender: d.sender ?? null,
    own: Boolean(d.own),
    triage: null,
    created_at: new Date(record.at_ms ?? Date.now()).toISOString(),
  };
}

/** Our own private note announcing draft #N duplicates the draft's card. */
export function draftNoteId(message) {
  if (!message.own || !message.private) return null;
  const match = /^🤖 AI draft #(\d+)/u.exec(message.content ?? '');
  return match ? Number(match[1]) : null;
}

export function messageItem(m) {
  const type = messageType(m.message_type);
  const kind = type === 'incoming' ? 'incoming' : m.private ? 'note' : type === 'outgoing' ? 'outgoing' : 'activity';
  const who = m.sender?.name ?? (type === 'incoming' ? 'Customer' : m.own ? 'Bot' : 'Agent');
  if (kind === 'activity') {
    return h('li.msg.activity', { dataset: { messageId: m.id ?? '' } }, m.content, ' · ', h('time', { datetime: m.created_at }, ago(m.created_at)));
  }
  return h(`li.msg.${kind}`, { dataset: { messageId: m.id ?? '' } },
    h('div.msg-head', null,
      h('span.who', null, who),
      kind === 'note' ? badge('private note', 'note') : null,
      m.own ? badge('pipeline', 'muted') : null,
      h('time', { datetime: m.created_at, title: time(m.created_at) }, ago(m.created_at))),
    h('div.msg-body', null, m.content),
    triageLine(m.triage));
}

/** One line of the activity log. */
export function activityItem(record) {
  const d = record.data ?? {};
  const text = {
    message_recorded: () => `${messageType(d.message_type)}${d.private ? ' note' : ''} message recorded`,
    conversation_updated: () => `conversation updated${d.status ? `: ${d.status}` : ''}`,
    triaged: () => `triaged: ${d.triage?.categories?.join(', ') ?? ''}${d.triage?.escalate ? `, escalate ${d.triage.escalate}` : ''}`,
    draft_created: () => `draft #${d.draft_id} written (${d.status})`,
    draft_decided: () => `draft #${d.draft_id} ${d.decision} by ${d.decided_by?.name ?? '?'} via ${d.via ?? '?'}`,
    handoff: () => `handed to people: ${d.reason ?? ''}`,
    sla_breached: () => `first-reply SLA breached (${d.sla_secs}s)`,
    command_applied: () => `${d.command} by ${d.actor?.name ?? '?'} applied`,
    command_refused: () => `${d.command} by ${d.actor?.name ?? '?'} refused: ${d.detail ?? ''}`,
    action_failed: () => `Chatwoot call failed: ${d.error ?? d.status ?? ''}`,
    action_dead_lettered: () => `Chatwoot call dead-lettered: ${d.error ?? ''}`,
    action_sent: () => `${d.action ?? 'call'} sent to Chatwoot`,
  }[record.kind];
  const at = new Date(record.at_ms ?? Date.now()).toISOString();
  return h('li.event', { dataset: { kind: record.kind } },
    h('time', { datetime: at, title: time(at) }, ago(at)), ' ', text ? text() : record.kind);
}

export { triageLine };
