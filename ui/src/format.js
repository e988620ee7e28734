// Time, duration, number and size formatting shared by the pages. All times
// are shown in UTC.

const units = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

// parseDuration('1h30m') -> 5400 (seconds); null when it is not a duration.
export function parseDuration(text) {
  const s = String(text).trim();
  if (!s) return null;
  const re = /(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)/gy;
  let total = 0, m, end = 0;
  while ((m = re.exec(s))) { total += parseFloat(m[1]) * units[m[2]]; end = re.lastIndex; }
  if (end !== s.length) return /^\d+(\.\d+)?$/.test(s) ? parseFloat(s) : null;
  return total > 0 ? total : null;
}

// formatDuration(5400) -> '1h30m' (largest units first, whole seconds).
export function formatDuration(seconds) {
  let rest = Math.round(seconds * 1000);
  if (rest <= 0) return '0s';
  let out = '';
  for (const [u, f] of Object.entries(units)) {
    const ms = f * 1000;
    if (rest >= ms) { out += Math.floor(rest / ms) + u; rest %= ms; }
  }
  return out;
}

// Range steps of the -/+ buttons (seconds), as in Prometheus' graph page.
export const rangeSteps = [1, 10, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800,
  604800, 1209600, 2419200, 4838400, 31536000, 63072000];

const pad = (n, w = 2) => String(n).padStart(w, '0');

// formatTime(ms) -> 'YYYY-MM-DD HH:mm:ss' in UTC (Prometheus' URL format).
export function formatTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// formatTimeMs is formatTime with milliseconds (for block ranges).
export function formatTimeMs(ms) {
  return `${formatTime(ms)}.${pad(((ms % 1000) + 1000) % 1000, 3)}`;
}

// parseTime('YYYY-MM-DD HH:mm[:ss]') (UTC) or a unix time in seconds -> ms; null if invalid.
export function parseTime(text) {
  const s = String(text).trim();
  if (!s) return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(parseFloat(s) * 1000);
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?Z?$/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0), +((m[7] || '0') + '00').slice(0, 3));
  return Number.isNaN(ms) ? null : ms;
}

// ago(ms since epoch, now) -> '3.2s ago', '5m ago', 'in 2s'.
export function ago(ms, now = Date.now()) {
  const d = (now - ms) / 1000;
  const a = Math.abs(d);
  const t = a < 60 ? `${a.toFixed(1)}s` : a < 3600 ? `${Math.floor(a / 60)}m${Math.floor(a % 60)}s`
    : a < 86400 ? `${Math.floor(a / 3600)}h${Math.floor((a % 3600) / 60)}m` : `${Math.floor(a / 86400)}d${Math.floor((a % 86400) / 3600)}h`;
  return d >= 0 ? `${t} ago` : `in ${t}`;
}

// humanize(1234567) -> '1.23M' (SI prefixes, as Prometheus' graph axis).
export function humanize(v) {
  if (v == null || Number.isNaN(v)) return '';
  const a = Math.abs(v);
  if (a === 0 || !Number.isFinite(a)) return String(v);
  const big = [[1e24, 'Y'], [1e21, 'Z'], [1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of big) if (a >= f) return trim(v / f) + p;
  if (a >= 1) return trim(v);
  const small = [[1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p'], [1e-15, 'f']];
  for (const [f, p] of small) if (a >= f) return trim(v / f) + p;
  return v.toExponential(2);
}
const trim = (x) => String(parseFloat(x.toPrecision(3)));

// bytes(123456) -> '120.6 KiB'.
export function bytes(n) {
  if (n == null) return '-';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0, v = n;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${u[i]}`;
}

// count(1234567) -> '1,234,567'.
export const count = (n) => (n == null ? '-' : Number(n).toLocaleString('en-US'));

// labelsText({__name__:'up', job:'x'}) -> 'up{job="x"}' (Prometheus' series notation).
export function labelsText(metric) {
  const name = metric.__name__ || '';
  const rest = Object.keys(metric).filter((k) => k !== '__name__').sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`).join(', ');
  return rest || !name ? `${name}{${rest}}` : name;
}
