// Credentials. The console holds one bearer token: an API key of the tenant (the "console token" that the
// Dashboard App's URL carries after `#token=`) or a session token made by verifying the agent's own Chatwoot
// access token. It lives in sessionStorage (gone when the tab closes; never in a cookie, so no other site can
// make the browser use it). Chatwoot's appContext never counts as a credential: it only picks what to show.

import { h, clear } from './ui.js';

const KEY = 'review-console.token';
// Third-party iframes may be denied storage; the token then lives as long as the page.
let memory = null;

export function getToken() {
  try {
    return sessionStorage.getItem(KEY) ?? memory;
  } catch {
    return memory;
  }
}

export function setToken(token) {
  memory = token;
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // kept in memory only
  }
}

export function clearToken() {
  memory = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/**
 * Reads `#token=…&theme=…&conversation=…&view=…` (the Dashboard App URL) and takes the token out of the address bar, so
 * it is neither in the history nor in a screenshot. Returns the route the fragment asks for, if any.
 */
export function takeFragment() {
  const hash = location.hash.slice(1);
  if (!hash || hash.startsWith('/')) return null;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (token) setToken(token.trim());
  const theme = params.get('theme');
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  const conversation = Number(params.get('conversation'));
  // `view=reports` makes a second Dashboard App (or a bookmark) that opens the Reports page.
  const views = { reports: '#/reports', inbox: '#/inbox', queue: '#/queue' };
  const route = conversation > 0 ? `#/c/${conversation}` : views[params.get('view')] ?? '#/queue';
  history.replaceState(null, '', `${location.pathname}${location.search}${route}`);
  return route;
}

const REASONS = {
  missing: 'Sign in to review drafts.',
  expired: 'Your token has expired or was revoked. Sign in again.',
  forbidden: 'This token may not use the console.',
};

/**
 * The sign-in page. `signIn(key, chatwootToken)` is called with what the agent typed; it resolves when signed in
 * and throws an Error whose message is shown otherwise.
 */
export function showSignIn(root, reason, signIn) {
  const error = h('p.error', { role: 'alert', hidden: true });
  const key = h('input', { id: 'signin-key', name: 'key', autocomplete: 'off', spellcheck: 'false', required: true,
    placeholder: 'cwk_…' });
  const chatwoot = h('input', { id: 'signin-chatwoot', name: 'chatwoot', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'optional' });
  const button = h('button.primary', { type: 'submit' }, 'Sign in');
  const form = h('form.signin', {
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      error.hidden = true;
      try {
        await signIn(key.value.trim(), chatwoot.value.trim());
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    },
  },
  h('label', { for: 'signin-key' }, 'Console token'), key,
  h('label', { for: 'signin-chatwoot' }, 'Your Chatwoot access token'), chatwoot,
  h('p.hint', null, 'With your Chatwoot access token (Chatwoot → Profile settings → Access token) your decisions ',
    'are recorded under your name; with the console token alone, under the token\'s name.'),
  button, error);
  clear(root).append(h('section.signin-page', { id: 'signin' },
    h('h1', null, 'Review console'),
    h('p.signin-reason', { role: 'alert' }, REASONS[reason] ?? REASONS.missing),
    h('p.hint', null, 'Ask your administrator for a console token (`cwctl api-keys create`), or open the console ',
      'from Chatwoot\'s Dashboard App, whose URL carries one.'),
    form));
  key.focus();
}
