// Small DOM helpers. Every string from the API goes into the page through text nodes, never through innerHTML, so
// a customer's message or a draft can never become markup (the CSP forbids inline script as a second line).

/** `h('div.card.pending', {onclick}, child, 'text', …)` */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Links only to http(s): a source URL such as `javascript:…` is shown as text. */
export function safeUrl(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

export function ago(iso) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const secs = Math.max(0, Math.round((Date.now() - then) / 1000));
  if (secs < 60) return `${secs}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h`;
  return `${Math.floor(secs / 86400)} d`;
}

export function time(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

export function percent(x) {
  return typeof x === 'number' ? `${Math.round(x * 100)}%` : null;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A short notice in the corner; `link` makes it clickable. */
export function toast(text, { kind = 'info', link = null, ms = 6000 } = {}) {
  const box = document.getElementById('toasts');
  const item = h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' },
    link ? h('a', { href: link }, text) : text);
  box.append(item);
  setTimeout(() => item.remove(), ms);
  return item;
}

/** A persistent line under the top bar (network lost, signed out); `null` removes it. */
export function banner(id, text, kind = 'warn') {
  const box = document.getElementById('banners');
  let item = box.querySelector(`[data-banner="${id}"]`);
  if (text == null) {
    item?.remove();
    return;
  }
  if (!item) {
    item = h(`div.banner.${kind}`, { dataset: { banner: id } });
    box.append(item);
  }
  item.textContent = text;
}

/** Whether a key press belongs to a text field (shortcuts must not fire while typing). */
export function typing(event) {
  const target = event.target;
  return target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function badge(text, kind = '') {
  return text == null || text === '' ? null : h(`span.badge${kind ? '.' + kind : ''}`, null, text);
}

/** One line describing a message's triage: language, categories, tone, urgency, escalation. */
export function triageLine(triage) {
  if (!triage) return null;
  const parts = [];
  if (triage.language) parts.push(triage.language);
  if (triage.categories?.length) parts.push(triage.categories.join(', '));
  if (triage.sentiment) parts.push(triage.sentiment);
  const el = h('div.triage', { title: 'Triage' }, parts.join(' · '));
  if (triage.urgent) append(el, [' ', badge('urgent', 'warn')]);
  if (triage.escalate) append(el, [' ', badge(`escalate: ${triage.escalate}`, 'danger')]);
  if (triage.handoff) append(el, [' ', badge('wants a person', 'warn')]);
  return el;
}
