// Periods and numbers for the Reports page. Days are the tenant's days, not the browser's: "last 7 days" starts at
// midnight in the tenant's time zone (which the API names in every answer), so a team lead in another zone sees
// the same buckets as `cwctl report` and the daily digest.

/** The offset of `tz` from UTC at instant `ms`, in milliseconds (positive east of Greenwich). */
function offset(tz, ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** `{y, m, d}` of today in `tz`. */
export function today(tz, now = Date.now()) {
  const t = new Date(now + offset(tz, now));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

export function addDays({ y, m, d }, n) {
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** `2026-12-01` → `{y, m, d}`, or null. */
export function parseDay(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  return match ? { y: +match[1], m: +match[2], d: +match[3] } : null;
}

export function formatDay({ y, m, d }) {
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The instant of midnight starting `day` in `tz` (twice corrected, for days that start in a DST change). */
export function midnight(tz, day) {
  const wall = Date.UTC(day.y, day.m - 1, day.d);
  let at = wall - offset(tz, wall);
  at = wall - offset(tz, at);
  return new Date(at);
}

/**
 * The `[since, until)` instants and the granularity for the page's period choice: `7d`/`30d` end with today
 * (whole days, so the previous period compares like with like), `custom` covers both days given.
 */
export function range(tz, { period, since, until }, now = Date.now()) {
  const end = today(tz, now);
  let first;
  let last = end;
  if (period === 'custom' && parseDay(since) && parseDay(until)) {
    first = parseDay(since);
    last = parseDay(until);
    if (formatDay(first) > formatDay(last)) [first, last] = [last, first];
  } else {
    first = addDays(end, period === '30d' ? -29 : -6);
  }
  const from = midnight(tz, first);
  const to = midnight(tz, addDays(last, 1));
  const days = Math.round((to - from) / 86400000);
  const granularity = days <= 2 ? 'hour' : days <= 92 ? 'day' : 'week';
  return { since: from.toISOString(), until: to.toISOString(), first: formatDay(first), last: formatDay(last), granularity };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A point's label from its `start` as the API writes it (RFC 3339 in the tenant's zone): the wall-clock date and
 * hour are read from the text itself, so the browser's own zone never shifts them.
 */
export function pointLabel(start, granularity) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})/.exec(start ?? '');
  if (!match) return String(start ?? '');
  const day = `${MONTHS[+match[2] - 1]} ${+match[3]}`;
  if (granularity === 'hour') return `${day} ${match[4]}:00`;
  return granularity === 'week' ? `wk ${day}` : day;
}

/** Seconds as a person reads them: `45 s`, `12 min`, `3.5 h`, `2.1 d`. */
export function duration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '–';
  const v = Math.abs(seconds);
  if (v < 60) return `${Math.round(seconds)} s`;
  if (v < 3600) return `${Math.round(seconds / 60)} min`;
  if (v < 86400) return `${(seconds / 3600).toFixed(seconds < 36000 ? 1 : 0)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export function count(n) {
  return n == null ? '–' : Math.round(n).toLocaleString('en');
}

export function pct(n) {
  return n == null ? '–' : `${Number(n).toFixed(n % 1 ? 1 : 0)}%`;
}

/** The label of a distribution bucket from its upper edge (`le`, seconds) and the edge before it. */
export function bucketLabel(le, previous) {
  if (le == null) return `> ${duration(previous)}`;
  return previous == null ? `≤ ${duration(le)}` : `${duration(previous)}–${duration(le)}`;
}

/**
 * A digest's period as its readers name it, in the tenant's zone (the API gives instants; a daily digest of
 * Berlin's 6 December starts at 23:00 UTC the day before): `Sat 6 Dec 2026`, or `Mon 1 Dec – Sun 7 Dec 2026`.
 */
export function periodLabel(kind, start, end, tz) {
  const format = (ms, year) => new Intl.DateTimeFormat('en-GB', {
    timeZone: tz || 'UTC', weekday: 'short', day: 'numeric', month: 'short', ...(year ? { year: 'numeric' } : {}),
  }).format(new Date(ms)).replace(',', '');
  const from = Date.parse(start);
  // The end is exclusive: the last day is the one holding the instant just before it.
  const last = Date.parse(end) - 1;
  if (Number.isNaN(from) || Number.isNaN(last)) return `${start ?? ''} – ${end ?? ''}`;
  return kind === 'weekly' ? `${format(from, false)} – ${format(last, true)}` : format(from, true);
}
