// The Table tab: an instant query result (vector, matrix, scalar or string)
// as rows. At most maxRows rows are rendered, with a notice, as in Prometheus.
import { h } from './dom.js';

export const maxRows = 10000;

// seriesLabel renders `name{k="v", ...}` with the label names and values styled.
export function seriesLabel(metric) {
  const name = metric.__name__ || '';
  const keys = Object.keys(metric).filter((k) => k !== '__name__').sort();
  if (!keys.length && name) return h('span', { class: 'series' }, h('span', { class: 'metric-name' }, name));
  const parts = [];
  keys.forEach((k, i) => {
    if (i) parts.push(', ');
    parts.push(h('span', { class: 'label-name' }, k), '="', h('span', { class: 'label-value' }, metric[k]), '"');
  });
  return h('span', { class: 'series' }, h('span', { class: 'metric-name' }, name), '{', parts, '}');
}

const row = (label, value) => h('tr', { 'data-testid': 'table-row' }, h('td', null, label), h('td', { class: 'value' }, value));

// renderTable(data) -> element for the API's {resultType, result}.
export function renderTable(data) {
  const { resultType, result } = data;
  if (resultType === 'scalar' || resultType === 'string') {
    return table([row(h('span', { class: 'series' }, resultType), result[1])], 1);
  }
  if (!result.length) return h('div', { class: 'empty', 'data-testid': 'no-data' }, 'Empty query result');
  const shown = result.slice(0, maxRows);
  const rows = resultType === 'matrix'
    ? shown.map((s) => row(seriesLabel(s.metric), s.values.map(([t, v]) => `${v} @${t}`).join('\n')))
    : shown.map((s) => row(seriesLabel(s.metric), s.value ? s.value[1] : s.histogram ? histogramText(s.histogram[1]) : ''));
  return table(rows, result.length);
}

function table(rows, total) {
  return h('div', null,
    total > rows.length && h('div', { class: 'alert alert-warning', 'data-testid': 'truncated' },
      `Warning: fetched ${total} metrics, only displaying first ${rows.length}.`),
    h('table', { class: 'data-table', 'data-testid': 'table' }, h('tbody', null, rows)));
}

function histogramText(hist) {
  return `count: ${hist.count} sum: ${hist.sum}`;
}

