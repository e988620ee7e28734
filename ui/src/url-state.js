// Panel options <-> URL parameters, compatible with Prometheus 2.x (`g0.expr`,
// `g0.tab`, `g0.range_input`, `g0.end_input`, `g0.moment_input`,
// `g0.step_input`, `g0.stacked`) and Thanos (`g0.deduplicate`,
// `g0.partial_response`, `g0.max_source_resolution`).
import { formatDuration, formatTime, parseDuration, parseTime } from './format.js';

export const maxResolutions = ['auto', '0s', '5m', '1h'];

// defaultPanel returns fresh panel options: table tab, 1h range, now; partial
// response as the querier's --query.partial-response (the shell's
// data-partial-response).
export function defaultPanel() {
  const partial = typeof document !== 'undefined' && document.body.dataset.partialResponse === 'true';
  return {
    expr: '', tab: 'table', range: 3600, endTime: null, momentTime: null, step: null,
    stacked: false, dedup: true, partial, maxRes: 'auto', showEndpoints: false,
  };
}

// parsePanels(search) -> panel options from g<N>.* parameters (at least one panel).
export function parsePanels(search) {
  const params = new URLSearchParams(search);
  const byIndex = new Map();
  for (const [key, value] of params) {
    const m = /^g(\d+)\.(.+)$/.exec(key);
    if (!m) continue;
    const i = +m[1];
    if (!byIndex.has(i)) byIndex.set(i, defaultPanel());
    const p = byIndex.get(i);
    switch (m[2]) {
      case 'expr': p.expr = value; break;
      // 0/1 in Prometheus 2.x links, graph/table in Prometheus 3.x links
      case 'tab': p.tab = value === '0' || value === 'graph' ? 'graph' : 'table'; break;
      case 'display_mode': p.stacked = value === 'stacked'; break; // Prometheus 3.x
      case 'range_input': p.range = parseDuration(value) ?? p.range; break;
      case 'end_input': p.endTime = parseTime(value); break;
      case 'moment_input': p.momentTime = parseTime(value); break;
      case 'step_input': { const s = parseDuration(value); p.step = s && s > 0 ? s : null; break; }
      case 'stacked': p.stacked = value === '1'; break;
      case 'deduplicate': p.dedup = value !== '0'; break;
      case 'partial_response': p.partial = value === '1'; break;
      case 'max_source_resolution': p.maxRes = maxResolutions.includes(value) ? value : 'auto'; break;
      case 'show_endpoints': p.showEndpoints = value === '1'; break;
    }
  }
  const panels = [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i));
  return panels.length ? panels : [defaultPanel()];
}

// encodePanels(panels) -> the query string (without '?') for these panels.
export function encodePanels(panels) {
  const params = new URLSearchParams();
  panels.forEach((p, i) => {
    const g = `g${i}.`;
    params.set(g + 'expr', p.expr);
    params.set(g + 'tab', p.tab === 'graph' ? '0' : '1');
    params.set(g + 'stacked', p.stacked ? '1' : '0');
    params.set(g + 'range_input', formatDuration(p.range));
    if (p.endTime != null) params.set(g + 'end_input', formatTime(p.endTime));
    if (p.momentTime != null) params.set(g + 'moment_input', formatTime(p.momentTime));
    if (p.step != null) params.set(g + 'step_input', String(p.step));
    params.set(g + 'deduplicate', p.dedup ? '1' : '0');
    params.set(g + 'partial_response', p.partial ? '1' : '0');
    params.set(g + 'max_source_resolution', p.maxRes);
    if (p.showEndpoints) params.set(g + 'show_endpoints', '1');
  });
  return params.toString();
}

// autoStep(rangeSeconds) -> Prometheus' default resolution: max(floor(range/250), 1).
export const autoStep = (range) => Math.max(Math.floor(range / 250), 1);
