// The Stores page: the querier's endpoints (GET /api/v1/stores), one table per
// kind, refreshed every 5 s and by the Refresh button.
import { getJSON } from './api.js';
import { alertBox, h, replace } from './dom.js';
import { ago, formatTimeMs } from './format.js';

const refreshMs = 5000;
const kindOrder = ['query', 'rule', 'sidecar', 'store', 'receive', 'debug'];

// timeBound formats a min/max time: Thanos announces math.MinInt64/MaxInt64 for
// unbounded ranges, shown as -∞/+∞.
export function timeBound(ms) {
  if (ms == null) return '-';
  if (Math.abs(ms) >= 9e15) return ms < 0 ? '-∞' : '+∞';
  return formatTimeMs(ms);
}

const title = (kind) => kind.charAt(0).toUpperCase() + kind.slice(1);

function labelSets(sets) {
  if (!sets || !sets.length) return h('span', { class: 'muted' }, '-');
  return sets.map((set) => h('div', { class: 'label-set' },
    Object.keys(set).sort().map((k) => h('span', { class: 'badge' }, `${k}="${set[k]}"`))));
}

function storeRow(s, now) {
  const last = s.lastCheck ? Date.parse(s.lastCheck) : null;
  const status = s.healthy ? 'up' : 'down';
  return h('tr', { 'data-testid': 'store-row', 'data-endpoint': s.name, 'data-status': status },
    h('td', { class: 'mono' }, s.name),
    h('td', null, h('span', { class: `status status-${status}`, 'data-testid': 'store-status' }, status.toUpperCase())),
    h('td', null, labelSets(s.labelSets)),
    h('td', { class: 'mono nowrap' }, timeBound(s.minTime)),
    h('td', { class: 'mono nowrap' }, timeBound(s.maxTime)),
    h('td', { class: 'nowrap', title: s.lastCheck || '' }, last == null ? 'never' : ago(last, now)),
    h('td', { class: s.lastError ? 'error-text' : 'muted' }, s.lastError || '-'));
}

function kindTable(kind, stores, now) {
  const sorted = [...stores].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return h('section', { class: 'store-kind', 'data-kind': kind },
    h('h3', null, title(kind), h('span', { class: 'muted count' }, ` (${stores.length})`)),
    h('table', { class: 'data-table stores-table' },
      h('thead', null, h('tr', null, ['Endpoint', 'Status', 'Announced label sets', 'Min time (UTC)', 'Max time (UTC)', 'Last check', 'Last error']
        .map((t) => h('th', null, t)))),
      h('tbody', null, sorted.map((s) => storeRow(s, now)))));
}

export function storesPage(root) {
  const body = h('div', { class: 'stores', 'data-testid': 'stores' });
  const updated = h('span', { class: 'muted', 'data-testid': 'stores-updated' });
  const refreshBtn = h('button', { class: 'btn btn-primary', 'data-testid': 'refresh', onclick: () => refresh() }, 'Refresh');
  root.append(h('div', { class: 'page-head' }, h('h2', null, 'Stores'), refreshBtn, updated), body);

  let timer = 0, running = false;
  async function refresh() {
    if (running) return;
    running = true;
    clearTimeout(timer);
    try {
      const { data } = await getJSON('/api/v1/stores');
      const now = Date.now();
      const kinds = Object.keys(data || {}).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
      replace(body, kinds.length ? kinds.map((k) => kindTable(k, data[k] || [], now)) : h('p', { class: 'muted' }, 'No endpoints.'));
      updated.textContent = `Updated ${new Date(now).toISOString().slice(11, 19)} UTC, every ${refreshMs / 1000}s`;
    } catch (e) {
      // Keep the last tables under the error.
      replace(body, alertBox('error', `Error fetching stores: ${e.message}`), [...body.querySelectorAll('section')]);
    } finally {
      running = false;
      // Refresh only while the page is visible; resumes when shown again.
      if (!document.hidden) timer = setTimeout(refresh, refreshMs);
    }
  }
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  refresh();
}

function rank(kind) {
  const i = kindOrder.indexOf(kind);
  return kind === 'unknown' ? 1000 : i < 0 ? 500 : i;
}
