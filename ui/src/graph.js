// The Graph tab: a range query result drawn with uPlot (one canvas, no DOM per
// point), a virtualised legend (only the visible rows exist in the DOM, so
// 1,000+ series stay cheap) and a tooltip for the series nearest the cursor.
import uPlot from 'uplot';
import { h, replace } from './dom.js';
import { formatTime, humanize, labelsText } from './format.js';
import { seriesLabel } from './table.js';

const rowHeight = 22; // px, fixed so the legend can be virtualised

// color(i) -> a stable, well-spread colour for series i.
export const color = (i, alpha = 1) => `hsla(${Math.round((i * 137.508) % 360)},65%,${i % 2 ? 38 : 48}%,${alpha})`;

// toColumns aligns a matrix on the query's step grid: uPlot wants one x array
// and one y array per series (null for gaps). Stacked series are summed.
function toColumns(result, start, end, step, stacked) {
  const n = Math.floor((end - start) / step) + 1;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  const raw = result.map((s) => {
    const ys = new Array(n).fill(null);
    for (const [t, v] of s.values || []) {
      const i = Math.round((t - start) / step);
      const f = parseFloat(v);
      if (i >= 0 && i < n && Number.isFinite(f)) ys[i] = f;
    }
    return ys;
  });
  if (!stacked) return { xs, raw, drawn: raw };
  const sum = new Float64Array(n);
  const drawn = raw.map((ys) => ys.map((y, i) => (y == null ? null : (sum[i] += y))));
  return { xs, raw, drawn };
}

// timeTicks labels the x axis in UTC, 24-hour: 'HH:mm' (with ':ss' below a
// minute's spacing), and the date under the first tick of each day.
function timeTicks(u, splits, axisIdx, space, incr) {
  let day = '';
  return splits.map((t) => {
    const s = new Date(t * 1000).toISOString();
    const d = s.slice(5, 10);
    if (incr >= 86400) return d;
    const time = incr < 60 ? s.slice(11, 19) : s.slice(11, 16);
    const label = d !== day ? `${time}\n${d}` : time;
    day = d;
    return label;
  });
}

// createGraph(parent, onZoom) -> {render(data, range), destroy()}. onZoom(startSec, endSec)
// is called when the user drags a time range on the chart.
export function createGraph(parent, onZoom) {
  const chartEl = h('div', { class: 'chart', 'data-testid': 'chart' });
  const tooltip = h('div', { class: 'tooltip', hidden: true });
  const legendInner = h('div', { class: 'legend-inner' });
  const legend = h('div', { class: 'legend', 'data-testid': 'legend' }, legendInner);
  const legendNote = h('div', { class: 'legend-note' });
  replace(parent, h('div', { class: 'graph' }, chartEl, tooltip), legendNote, legend);

  let plot = null, cols = null, labels = [], metrics = [], isolated = -1, frame = 0, renders = 0;
  const resize = new ResizeObserver(() => {
    if (plot && chartEl.clientWidth && chartEl.clientWidth !== plot.width) plot.setSize({ width: chartEl.clientWidth, height: plot.height });
  });
  resize.observe(chartEl);
  chartEl.addEventListener('mouseleave', () => { tooltip.hidden = true; });

  // The legend only renders the rows scrolled into view.
  function drawLegend() {
    frame = 0;
    const n = labels.length;
    legendInner.style.height = `${n * rowHeight}px`;
    const first = Math.max(0, Math.floor(legend.scrollTop / rowHeight) - 5);
    const last = Math.min(n, Math.ceil((legend.scrollTop + legend.clientHeight) / rowHeight) + 5);
    const idx = plot && plot.cursor.idx;
    const rows = [];
    for (let i = first; i < last; i++) {
      const v = idx != null && cols ? cols.raw[i][idx] : null;
      const hidden = plot && !plot.series[i + 1].show;
      rows.push(h('div', {
        class: 'legend-row' + (hidden ? ' off' : ''), style: `top:${i * rowHeight}px`, title: labels[i],
        'data-testid': 'legend-row', 'data-index': i, onclick: () => toggle(i),
      }, h('span', { class: 'swatch', style: `background:${color(i)}` }), seriesLabel(metrics[i]),
      v != null && h('span', { class: 'legend-value' }, humanize(v))));
    }
    replace(legendInner, rows);
  }
  const scheduleLegend = () => { if (!frame) frame = requestAnimationFrame(drawLegend); };
  legend.addEventListener('scroll', scheduleLegend, { passive: true });

  // Clicking a legend row shows only that series; clicking it again shows all.
  function toggle(i) {
    if (!plot) return;
    isolated = isolated === i ? -1 : i;
    plot.batch(() => plot.series.forEach((_, s) => s && plot.setSeries(s, { show: isolated < 0 || s === i + 1 })));
    scheduleLegend();
  }

  function showTooltip(u) {
    const s = u.series.findIndex((x, i) => i > 0 && x._focus);
    const idx = u.cursor.idx;
    if (s < 1 || idx == null || cols.raw[s - 1][idx] == null) { tooltip.hidden = true; return; }
    replace(tooltip, h('div', { class: 'tooltip-time' }, formatTime(cols.xs[idx] * 1000)),
      h('div', null, h('span', { class: 'swatch', style: `background:${color(s - 1)}` }),
        h('b', null, String(cols.raw[s - 1][idx]))), h('div', { class: 'tooltip-labels' }, labels[s - 1]));
    tooltip.hidden = false;
    const left = u.cursor.left + u.over.offsetLeft, top = u.cursor.top + u.over.offsetTop;
    tooltip.style.left = `${Math.min(left + 12, chartEl.clientWidth - tooltip.offsetWidth)}px`;
    tooltip.style.top = `${top + 12}px`;
  }

  function render(data, { start, end, step, stacked }) {
    if (plot) { plot.destroy(); plot = null; }
    const result = data.result || [];
    metrics = result.map((s) => s.metric);
    labels = metrics.map(labelsText);
    isolated = -1;
    legend.scrollTop = 0;
    cols = toColumns(result, start, end, step, stacked);
    const many = result.length > 50;
    const draws = ++renders;
    const opts = {
      width: chartEl.clientWidth || 800,
      height: 320,
      legend: { show: false },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { points: { show: false }, focus: { prox: 24 }, drag: { x: true, y: false, setScale: false } },
      focus: { alpha: many ? 0.6 : 0.3 },
      scales: { x: { time: true, range: [start, end] } },
      axes: [
        { stroke: '#555', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' }, values: timeTicks },
        { stroke: '#555', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' }, size: 60, values: (u, vals) => vals.map(humanize) },
      ],
      series: [{}, ...labels.map((label, i) => ({
        label, stroke: color(i), width: 1.25, spanGaps: false,
        points: { show: many ? false : undefined, size: 4 },
        fill: stacked ? color(i, 0.25) : undefined,
      }))],
      hooks: {
        draw: [() => {
          chartEl.dataset.seriesCount = String(result.length);
          chartEl.dataset.render = String(draws);
          if (window.__mnemosFirstGraph == null) window.__mnemosFirstGraph = performance.now();
          window.__mnemosLastGraph = performance.now();
        }],
        setCursor: [(u) => { showTooltip(u); scheduleLegend(); }],
        setSeries: [(u) => showTooltip(u)],
        setSelect: [(u) => {
          const { left, width } = u.select;
          if (width > 4) onZoom(u.posToVal(left, 'x'), u.posToVal(left + width, 'x'));
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
        }],
      },
    };
    legendNote.textContent = result.length > 20 ? `${result.length} series (scroll the legend; click a series to show only it)` : '';
    plot = new uPlot(opts, [cols.xs, ...cols.drawn], chartEl);
    scheduleLegend();
  }

  function destroy() {
    resize.disconnect();
    if (frame) cancelAnimationFrame(frame);
    if (plot) plot.destroy();
    plot = null;
  }
  return { render, destroy };
}
