// Live updates from the API's SSE activity stream. EventSource cannot send an Authorization header, so the token
// goes in `access_token` (as the contract allows); it reconnects by itself and sends Last-Event-ID, so the
// stream resumes after the last record seen. When the browser gives up (the server answered an error, e.g. 401
// for a revoked token) we reconnect ourselves with `last_event_id`, after asking whether the token still works.

import { query } from './api.js';
import { sleep } from './ui.js';

/** The kinds the views use; the rest (webhooks, dispatcher calls) would only cost bandwidth. */
export const KINDS = [
  'message_recorded', 'conversation_updated', 'triaged', 'draft_created', 'draft_decided', 'handoff',
  'sla_breached', 'command_applied', 'command_refused', 'action_failed', 'action_dead_lettered',
];

/**
 * `onRecord(record)` gets each activity record (with `seq`); `onState('open' | 'reconnecting' | 'closed')`
 * tracks the connection; `stillSignedIn()` resolves false when the token no longer works (then we stop).
 */
export function connect({ token, onRecord, onState, stillSignedIn }) {
  let source = null;
  let lastId = null;
  let stopped = false;
  let retries = 0;

  const open = () => {
    source = new EventSource(query('/api/v1/activity', {
      stream: 1, kind: KINDS.join(','), access_token: token, last_event_id: lastId,
    }));
    source.onopen = () => {
      retries = 0;
      onState('open');
    };
    source.onerror = () => {
      if (stopped) return;
      if (source.readyState === EventSource.CONNECTING) {
        onState('reconnecting');
        return;
      }
      source.close();
      onState('reconnecting');
      reopen();
    };
    for (const kind of KINDS) {
      source.addEventListener(kind, (event) => {
        lastId = event.lastEventId || lastId;
        let record;
        try {
          record = JSON.parse(event.data);
        } catch {
          return;
        }
        record.seq = Number(event.lastEventId) || record.seq;
        record.kind ??= kind;
        onRecord(record);
      });
    }
  };

  const reopen = async () => {
    retries += 1;
    await sleep(Math.min(500 * 2 ** retries, 15000));
    if (stopped) return;
    if (!(await stillSignedIn())) {
      stopped = true;
      onState('closed');
      return;
    }
    open();
  };

  open();
  return {
    close() {
      stopped = true;
      source?.close();
    },
  };
}
