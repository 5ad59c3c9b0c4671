// The API client: bearer auth, the contract's error shape, and writes that are safe to retry (each carries an
// Idempotency-Key, reused on every retry of the same action) and are followed until the worker has carried them
// out, since the API only accepts a command (202) and the pipeline applies it in the conversation's order.

import { getToken } from './auth.js';
import { sleep } from './ui.js';

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** No answer at all: the network or the server is gone. */
export class NetworkError extends Error {
  constructor() {
    super('The network is unreachable; retrying…');
  }
}

const listeners = { unauthorized: [], network: [] };

/** `on('unauthorized' | 'network', fn)`: 401 answers (token expired or revoked) and network loss/recovery. */
export function on(event, fn) {
  listeners[event].push(fn);
}

function emit(event, value) {
  for (const fn of listeners[event]) fn(value);
}

export function query(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export async function request(path, { method = 'GET', body, headers = {}, token = getToken() } = {}) {
  if (!token) throw new ApiError(401, 'no_credential', 'Sign in first.');
  const init = {
    method,
    cache: 'no-store',
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...headers },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    emit('network', false);
    throw new NetworkError();
  }
  emit('network', true);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = json?.error ?? {};
    const failure = new ApiError(response.status, error.code ?? `http_${response.status}`,
      error.message ?? `${response.status} ${response.statusText}`, error.field ?? null);
    if (response.status === 401) emit('unauthorized', failure);
    throw failure;
  }
  return json;
}

export const get = (path, params) => request(query(path, params));

/** Every page of a list (bounded: a conversation of thousands of messages shows its latest `max`). */
export async function all(path, params = {}, max = 1000) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(path, { ...params, limit: 200, cursor });
    items.push(...(page?.data ?? []));
    cursor = page?.next_cursor ?? null;
  } while (cursor && items.length < max);
  return items;
}

/** A v4 UUID; crypto.randomUUID only exists on secure origins, which a plain-HTTP deployment is not. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Sends a command and waits for its outcome: `{status: 'applied' | 'refused' | 'pending', detail}`. A network
 * failure is retried with the same key, which the API answers with the first request's answer, so an action
 * is never taken twice however often it is retried.
 */
export async function write(method, path, body) {
  const key = uuid();
  let accepted;
  for (let attempt = 0; ; attempt++) {
    try {
      accepted = await request(path, { method, body, headers: { 'Idempotency-Key': key } });
      break;
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= 5) throw error;
      await sleep(Math.min(400 * 2 ** attempt, 5000));
    }
  }
  return follow(accepted);
}

/** Polls the command's status until the worker has applied or refused it. */
export async function follow(accepted, timeoutMs = 20000) {
  if (!accepted?.follow) return { status: accepted?.status ?? 'applied', detail: null };
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    try {
      const status = await request(accepted.follow);
      if (status?.status && status.status !== 'pending' && status.status !== 'accepted') return status;
    } catch (error) {
      // Not recorded yet (404) or a passing network failure: the command is still on its way.
      if (!(error instanceof NetworkError) && error.status !== 404) throw error;
    }
    if (Date.now() > deadline) return { status: 'pending', detail: 'Still being carried out.' };
    await sleep(delay);
    delay = Math.min(delay * 1.5, 1000);
  }
}

/** What to tell the agent about a failed request. */
export function describe(error) {
  if (error instanceof NetworkError) return 'Network lost: the action was not confirmed. Try again.';
  if (error instanceof ApiError) {
    if (error.status === 403) return 'Your token may only read: ask for a token with write scope.';
    if (error.status === 404) return 'Not found (it may belong to another account).';
    if (error.status === 429) return 'Too many requests: wait a moment.';
    return error.message;
  }
  return String(error?.message ?? error);
}
