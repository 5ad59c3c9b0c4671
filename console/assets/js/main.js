// Start-up and routing. Order matters for the Dashboard App: the appContext listener is installed before
// anything else (Chatwoot may post it as soon as the frame loads), but the context only picks the view; without
// a working credential the page shows the sign-in form and makes no data request at all.

import { ApiError, NetworkError, get, on, request, uuid } from './api.js';
import { clearToken, getToken, setToken, showSignIn, takeFragment } from './auth.js';
import { showConversation } from './conversation.js';
import { showDigest } from './digests.js';
import { embedded, listen } from './embed.js';
import { showInbox } from './inbox.js';
import { connect } from './live.js';
import { showQueue } from './queue.js';
import { showReports } from './reports.js';
import { banner, toast, typing } from './ui.js';

const main = document.getElementById('main');
const state = { me: null, view: null, live: null, context: null, started: Date.now() };

function parseRoute() {
  const [path, search] = location.hash.replace(/^#/, '').split('?');
  return { path: path || '/queue', params: new URLSearchParams(search ?? '') };
}

function route() {
  if (!state.me) return;
  // Setting the hash to the route already shown (appContext repeated by Chatwoot) keeps the view as it is.
  if (state.view && state.shown === location.hash) return;
  state.shown = location.hash;
  state.view?.dispose();
  const { path, params } = parseRoute();
  const conversation = /^\/c\/(\d+)$/.exec(path);
  const digest = /^\/reports\/digests\/([^/]+)$/.exec(path);
  let name = 'queue';
  if (conversation) {
    name = 'conversation';
    state.view = showConversation(main, Number(conversation[1]), { embedded });
  } else if (path === '/reports') {
    name = 'reports';
    state.view = showReports(main, params);
  } else if (digest) {
    name = 'reports';
    state.view = showDigest(main, decodeURIComponent(digest[1]));
  } else if (path === '/inbox') {
    name = 'inbox';
    state.view = showInbox(main, params);
  } else {
    state.view = showQueue(main, params);
  }
  document.body.dataset.view = name;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.view === name);
  }
}

function signedOut(reason) {
  state.me = null;
  state.view?.dispose();
  state.view = null;
  state.shown = null;
  state.live?.close();
  state.live = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('live').hidden = true;
  document.getElementById('who').textContent = '';
  banner('network', null);
  banner('live', null);
  showSignIn(main, reason, signIn);
}

async function signIn(key, chatwootToken) {
  if (!key) throw new Error('Enter the console token.');
  let token = key;
  try {
    if (chatwootToken) {
      // Chatwoot verifies the agent's own token; the session then records that agent on every decision.
      const session = await request('/api/v1/session', {
        method: 'POST', token: key, body: { chatwoot_token: chatwootToken },
        headers: { 'Idempotency-Key': uuid() },
      });
      token = session.token;
    }
    await request('/api/v1/me', { token });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw new Error('That token was not accepted.');
    throw error;
  }
  setToken(token);
  await start();
}

function onRecord(record) {
  const recent = (record.at_ms ?? Date.now()) >= state.started - 5000;
  const d = record.data ?? {};
  const where = `#/c/${record.conversation_id}`;
  if (recent && record.kind === 'draft_created' && d.status === 'pending') {
    toast(`New draft #${d.draft_id} in conversation #${record.conversation_id}`, { link: where });
  } else if (recent && record.kind === 'handoff') {
    toast(`Conversation #${record.conversation_id} handed to people: ${d.reason ?? ''}`, { kind: 'warn', link: where });
  } else if (recent && record.kind === 'triaged' && d.triage?.escalate) {
    toast(`Escalation (${d.triage.escalate}) in conversation #${record.conversation_id}`, { kind: 'error', link: where });
  }
  state.view?.onRecord(record);
}

function startLive() {
  const indicator = document.getElementById('live');
  indicator.hidden = false;
  state.live = connect({
    token: getToken(),
    onRecord,
    onState: (s) => {
      indicator.dataset.state = s;
      indicator.textContent = s === 'open' ? 'live' : s;
      banner('live', s === 'reconnecting' ? 'Connection lost. Reconnecting…' : null);
    },
    stillSignedIn: async () => {
      try {
        await get('/api/v1/me');
        return true;
      } catch (error) {
        return !(error instanceof ApiError && error.status === 401);
      }
    },
  });
}

async function start() {
  if (!getToken()) return signedOut('missing');
  try {
    state.me = await get('/api/v1/me');
  } catch (error) {
    if (error instanceof NetworkError) {
      banner('network', 'The console cannot reach its server. Retrying…');
      setTimeout(start, 3000);
      return;
    }
    clearToken();
    return signedOut(error.status === 403 ? 'forbidden' : 'expired');
  }
  banner('network', null);
  const actor = state.me.actor ?? {};
  document.getElementById('who').textContent = `${actor.name ?? actor.id ?? ''}${state.me.scope === 'read' ? ' (read only)' : ''}`;
  document.getElementById('nav').hidden = false;
  if (state.context?.conversationId && !pinned) location.hash = `#/c/${state.context.conversationId}`;
  startLive();
  route();
}

function shortcuts() {
  const help = document.getElementById('help');
  document.getElementById('help-close').addEventListener('click', () => help.close());
  let pendingG = false;
  document.addEventListener('keydown', (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey || !state.me) return;
    if (event.key === '?') {
      event.preventDefault();
      if (help.open) help.close();
      else help.showModal();
    } else if (pendingG && ['i', 'q', 'r'].includes(event.key)) {
      location.hash = { i: '#/inbox', q: '#/queue', r: '#/reports' }[event.key];
    }
    pendingG = event.key === 'g';
  });
}

// A page opened on the Reports (`#…&view=reports`) stays there: Chatwoot's conversation context, which it posts
// to every Dashboard App, is for the conversation views.
const pinned = takeFragment() === '#/reports';
document.documentElement.classList.toggle('embedded', embedded);
listen((context) => {
  state.context = context;
  document.getElementById('who').title = context.agent?.name ? `Chatwoot says: ${context.agent.name}` : '';
  // Shown only once a credential works: the context is no credential.
  if (state.me && context.conversationId && !pinned) location.hash = `#/c/${context.conversationId}`;
});
on('unauthorized', () => {
  if (!state.me) return;
  clearToken();
  signedOut('expired');
});
on('network', (up) => {
  if (state.me) banner('network', up ? null : 'Network lost. Reconnecting…');
});
window.addEventListener('offline', () => banner('network', 'Network lost. Reconnecting…'));
window.addEventListener('hashchange', () => {
  // A new `#token=…&conversation=…` typed or linked into an open page: read it like a fresh load.
  if (location.hash && !location.hash.startsWith('#/')) {
    const before = getToken();
    takeFragment();
    if (getToken() !== before) {
      state.live?.close();
      state.view?.dispose();
      state.view = null;
      state.me = null;
      start();
      return;
    }
  }
  route();
});
shortcuts();
start();
