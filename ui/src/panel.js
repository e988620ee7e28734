// One query panel of the Graph page: editor, querier options (Thanos'
// deduplication, partial response, max source resolution), Table and Graph
// tabs with their time controls, alerts, and the answering endpoints.
import { getJSON } from './api.js';
import { alertBox, h, replace } from './dom.js';
import { formatDuration, formatTime, parseDuration, parseTime, rangeSteps } from './format.js';
import { createEditor } from './editor.js';
import { createGraph } from './graph.js';
import { renderTable } from './table.js';
import { autoStep } from './url-state.js';

const resolutions = [['auto', 'Auto downsampling'], ['0s', 'Only raw data'], ['5m', 'Max 5m downsampling'], ['1h', 'Max 1h downsampling']];

// createPanel(options, {onChange, onRemove}) -> {el, options, execute, destroy}.
// options is mutated in place; onChange() is called after each execution so
// the page can write the URL.
export function createPanel(options, { onChange, onRemove }) {
  let controller = null, graph = null, lastGraph = null;

  const executeBtn = h('button', { class: 'btn btn-primary', 'data-testid': 'execute', onclick: () => execute() }, 'Execute');
  const editorEl = h('div', { class: 'editor', 'data-testid': 'editor' });
  const checkbox = (key, testid, text) => h('label', { class: 'opt' },
    h('input', { type: 'checkbox', checked: options[key], 'data-testid': testid, onchange: (e) => { options[key] = e.target.checked; execute(); } }), text);
  const endpointsBox = h('input', {
    type: 'checkbox', checked: options.showEndpoints, 'data-testid': 'opt-endpoints',
    onchange: (e) => { options.showEndpoints = e.target.checked; endpointsEl.hidden = !options.showEndpoints; onChange(); },
  });
  const maxRes = h('select', {
    'data-testid': 'opt-max-res', onchange: (e) => { options.maxRes = e.target.value; execute(); },
  }, resolutions.map(([v, t]) => h('option', { value: v, selected: v === options.maxRes }, t)));

  // Time controls.
  const rangeInput = h('input', { class: 'input range-input', 'data-testid': 'range-input', value: formatDuration(options.range), onchange: () => setRange(parseDuration(rangeInput.value)) });
  const endInput = timeInput('end-input', 'End time (now)', () => options.endTime, (t) => { options.endTime = t; execute(); });
  const momentInput = timeInput('moment-input', 'Evaluation time (now)', () => options.momentTime, (t) => { options.momentTime = t; execute(); });
  const stepInput = h('input', {
    class: 'input step-input', 'data-testid': 'step-input', placeholder: `Res. (s)`, value: options.step ?? '',
    onchange: () => { const s = parseDuration(stepInput.value); options.step = s && s > 0 ? s : null; stepInput.value = options.step ?? ''; execute(); },
  });
  const stackedBox = h('input', { type: 'checkbox', checked: options.stacked, 'data-testid': 'opt-stacked', onchange: (e) => { options.stacked = e.target.checked; redrawGraph(); onChange(); } });

  const graphControls = h('div', { class: 'controls' },
    h('div', { class: 'group' }, h('button', { class: 'btn', title: 'Decrease range', onclick: () => stepRange(-1) }, '−'), rangeInput,
      h('button', { class: 'btn', title: 'Increase range', onclick: () => stepRange(1) }, '+')),
    endInput.el, stepInput, h('label', { class: 'opt' }, stackedBox, 'Stacked'));
  const tableControls = h('div', { class: 'controls' }, momentInput.el);

  const alerts = h('div', { class: 'alerts' });
  const tableEl = h('div', { class: 'table-result' });
  const graphEl = h('div', { class: 'graph-result' });
  const endpointsEl = h('div', { class: 'endpoints', 'data-testid': 'endpoints', hidden: !options.showEndpoints });
  const stats = h('span', { class: 'stats', 'data-testid': 'stats' });
  const tabTable = h('button', { class: 'tab', 'data-testid': 'tab-table', onclick: () => setTab('table') }, 'Table');
  const tabGraph = h('button', { class: 'tab', 'data-testid': 'tab-graph', onclick: () => setTab('graph') }, 'Graph');

  const el = h('div', { class: 'panel', 'data-testid': 'panel', 'data-state': 'idle' },
    h('div', { class: 'expr-row' }, editorEl, executeBtn,
      h('button', { class: 'btn btn-close', title: 'Remove panel', 'data-testid': 'remove-panel', onclick: () => onRemove() }, '×')),
    h('div', { class: 'opts-row' },
      checkbox('dedup', 'opt-dedup', 'Use deduplication'),
      checkbox('partial', 'opt-partial', 'Use partial response'),
      h('label', { class: 'opt' }, 'Max resolution ', maxRes),
      h('label', { class: 'opt' }, endpointsBox, 'Show endpoints')),
    h('div', { class: 'tabs' }, tabTable, tabGraph, stats),
    h('div', { class: 'tab-body' }, graphControls, tableControls, alerts, tableEl, graphEl, endpointsEl));

  const view = createEditor(editorEl, options.expr, () => execute(), (doc) => { options.expr = doc; });

  function timeInput(testid, placeholder, get, set) {
    const input = h('input', {
      class: 'input time-input', 'data-testid': testid, placeholder,
      value: get() == null ? '' : formatTime(get()),
      onchange: () => {
        const t = input.value.trim() ? parseTime(input.value) : null;
        input.classList.toggle('invalid', input.value.trim() !== '' && t == null);
        if (t != null || !input.value.trim()) set(t);
      },
    });
    const shift = (dir) => {
      const base = get() ?? Date.now();
      const t = base + (dir * options.range * 1000) / 2;
      input.value = formatTime(t);
      input.classList.remove('invalid');
      set(t);
    };
    const el = h('div', { class: 'group' },
      h('button', { class: 'btn', title: 'Back by half the range', onclick: () => shift(-1) }, '‹'), input,
      h('button', { class: 'btn', title: 'Forward by half the range', onclick: () => shift(1) }, '›'),
      h('button', { class: 'btn', title: 'Now', onclick: () => { input.value = ''; input.classList.remove('invalid'); set(null); } }, 'now'));
    return { el, input };
  }

  function setRange(seconds) {
    if (seconds && seconds > 0) options.range = seconds;
    rangeInput.value = formatDuration(options.range);
    execute();
  }
  function stepRange(dir) {
    const r = options.range;
    const next = dir < 0 ? [...rangeSteps].reverse().find((s) => s < r) : rangeSteps.find((s) => s > r);
    if (next) setRange(next);
  }

  function setTab(tab) {
    options.tab = tab;
    showTab();
    execute();
  }
  function showTab() {
    const g = options.tab === 'graph';
    tabGraph.classList.toggle('active', g);
    tabTable.classList.toggle('active', !g);
    graphControls.hidden = graphEl.hidden = !g;
    tableControls.hidden = tableEl.hidden = g;
  }

  function redrawGraph() {
    if (graph && lastGraph) graph.render(lastGraph.data, { ...lastGraph.range, stacked: options.stacked });
  }

  // execute runs the panel's query for the current tab; an earlier request
  // still running is aborted.
  async function execute() {
    if (controller) controller.abort();
    options.expr = view.state.doc.toString();
    const expr = options.expr.trim();
    if (!expr) return;
    const ctrl = (controller = new AbortController());
    el.dataset.state = 'loading';
    executeBtn.disabled = true;
    const params = { query: expr, dedup: String(options.dedup), partial_response: String(options.partial) };
    if (options.maxRes !== 'auto') params.max_source_resolution = options.maxRes;
    const isGraph = options.tab === 'graph';
    let range;
    if (isGraph) {
      const end = (options.endTime ?? Date.now()) / 1000;
      const step = options.step ?? autoStep(options.range);
      range = { start: end - options.range, end, step };
      Object.assign(params, range);
    } else {
      params.time = (options.momentTime ?? Date.now()) / 1000;
    }
    onChange();
    try {
      const res = await getJSON(isGraph ? '/api/v1/query_range' : '/api/v1/query', params, ctrl.signal);
      if (ctrl.signal.aborted) return;
      show(res, isGraph, range);
      el.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError' || ctrl.signal.aborted) return;
      replace(alerts, alertBox('error', `Error executing query: ${e.message}`));
      clearResult();
      replace(stats);
      el.dataset.state = 'error';
    } finally {
      if (controller === ctrl) { controller = null; executeBtn.disabled = false; }
    }
  }

  function show(res, isGraph, range) {
    const { data, warnings, headers, ms } = res;
    replace(alerts, warnings.map((w) => alertBox('warning', w)));
    const series = Array.isArray(data.result) ? data.result.length : 1;
    replace(stats, `Load time: ${Math.round(ms)}ms`, isGraph && `   Resolution: ${range.step}s`, `   Result series: ${series}`);
    const endpoints = headers.get('mnemos-endpoints');
    replace(endpointsEl, h('b', null, 'Endpoints: '), endpoints
      ? endpoints.split(',').map((e) => e.trim()).filter(Boolean).map((e) => h('span', { class: 'badge' }, e))
      : 'none reported');
    if (!isGraph) { replace(tableEl, renderTable(data)); return; }
    if (data.resultType !== 'matrix') {
      alerts.append(alertBox('error', `Error executing query: query result is of wrong type '${data.resultType}', please use the Table tab`));
      return;
    }
    if (!graph) graph = createGraph(graphEl, (start, end) => {
      options.range = Math.max(1, Math.round(end - start));
      options.endTime = Math.round(end * 1000);
      rangeInput.value = formatDuration(options.range);
      endInput.input.value = formatTime(options.endTime);
      execute();
    });
    if (!data.result.length) alerts.append(alertBox('info', 'Empty query result'));
    lastGraph = { data, range };
    graph.render(data, { ...range, stacked: options.stacked });
  }

  // clearResult drops the shown result (after an error, as Prometheus does).
  function clearResult() {
    replace(tableEl);
    replace(endpointsEl);
    if (graph) { graph.destroy(); graph = null; lastGraph = null; replace(graphEl); }
  }

  function destroy() {
    if (controller) controller.abort();
    if (graph) graph.destroy();
    view.destroy();
    el.remove();
  }

  showTab();
  return { el, options, execute, destroy, focus: () => view.focus() };
}
