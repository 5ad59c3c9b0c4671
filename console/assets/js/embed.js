// Chatwoot Dashboard App support. Chatwoot frames the console in a conversation's tab and posts it the context
// as a JSON string, `{"event":"appContext","data":{"conversation":{…},"contact":{…},"currentAgent":{…}}}`, when
// the frame loads and again whenever the page posts `chatwoot-dashboard-app:fetch-info` to its parent.
//
// Chatwoot signs nothing, and its origin is whatever the instance is hosted at, so the context is treated as a
// hint: it chooses which conversation to show, never who the agent is or whether data may be read. Only the
// framing window may send it (a popup or another frame cannot steer the page).

export const embedded = window.parent !== window;

/** Calls `onContext({conversationId, contact, agent})` for every appContext message from the parent. */
export function listen(onContext) {
  window.addEventListener('message', (event) => {
    if (!embedded || event.source !== window.parent || typeof event.data !== 'string') return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message?.event !== 'appContext' || typeof message.data !== 'object' || message.data === null) return;
    const { conversation, contact, currentAgent } = message.data;
    const id = Number(conversation?.id);
    onContext({
      conversationId: Number.isSafeInteger(id) && id > 0 ? id : null,
      contact: contact ?? null,
      agent: currentAgent ?? null,
    });
  });
  requestContext();
}

/** Asks Chatwoot for the context again (it carries nothing secret, hence any target origin). */
export function requestContext() {
  if (embedded) window.parent.postMessage('chatwoot-dashboard-app:fetch-info', '*');
}
