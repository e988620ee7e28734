// The bucket viewer (GET /api/v1/blocks): blocks on a time axis grouped by
// stream (external labels) and resolution, overlapping blocks in sub-rows,
// coloured by compaction level, deletion / no-compact marks, partial uploads,
// and a side panel with one block's details and raw meta.json.
import { getJSON } from './api.js';
import { alertBox, h, replace } from './dom.js';
import { ago, bytes, count, formatDuration, formatTimeMs } from './format.js';

const levelColors = ['#4e79a7', '#59a14f', '#f28e2b', '#e15759', '#b07aa1', '#76b7b2'];
const levelColor = (level) => levelColors[Math.min(Math.max(level || 1, 1), levelColors.length) - 1];
const resolutionName = (ms) => (!ms ? 'raw' : ms === 300000 ? '5m' : ms === 3600000 ? '1h' : formatDuration(ms / 1000));
const labelsOf = (b) => (b.thanos && b.thanos.labels) || {};
const labelText = (labels) => `{${Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(', ')}}`;
const isDeleted = (b) => !!(b.marks && b.marks.deletion);
const isNoCompact = (b) => !!(b.marks && b.marks.noCompact);
// Thanos writes a file's size as `size_bytes` (absent for meta.json); accept `size_in_bytes` too.
const fileSize = (f) => f.size_bytes ?? f.size_in_bytes ?? null;
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// streams groups blocks by external label set, then by resolution, each packed
// into lanes so overlapping blocks sit in separate sub-rows.
function streams(blocks, titleLabel) {
  const byKey = new Map();
  for (const b of blocks) {
    const labels = labelsOf(b);
    const key = labelText(labels);
    if (!byKey.has(key)) {
      const title = titleLabel && labels[titleLabel] != null ? labels[titleLabel] : key;
      byKey.set(key, { key, title, labels, byRes: new Map() });
    }
    const res = (b.thanos && b.thanos.downsample && b.thanos.downsample.resolution) || 0;
    const s = byKey.get(key);
    if (!s.byRes.has(res)) s.byRes.set(res, []);
    s.byRes.get(res).push(b);
  }
  return [...byKey.values()].sort((a, b) => cmp(a.title, b.title) || cmp(a.key, b.key)).map((s) => ({
    ...s,
    resolutions: [...s.byRes.keys()].sort((a, b) => a - b).map((res) => ({ res, lanes: pack(s.byRes.get(res)) })),
  }));
}

function pack(blocks) {
  const sorted = [...blocks].sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime || cmp(a.ulid, b.ulid));
  const lanes = [];
  for (const b of sorted) {
    let lane = lanes.find((l) => l.end <= b.minTime);
    if (!lane) lanes.push((lane = { end: 0, blocks: [] }));
    lane.blocks.push(b);
    lane.end = b.maxTime;
  }
  return lanes;
}

// ticks returns about 6 round UTC times between min and max (ms).
function ticks(min, max) {
  const steps = [60e3, 300e3, 900e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3, 7 * 86400e3, 30 * 86400e3, 365 * 86400e3];
  const step = steps.find((s) => (max - min) / s <= 7) || steps[steps.length - 1];
  const out = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) out.push({ t, step });
  return out;
}
const tickLabel = ({ t, step }) => { const s = new Date(t).toISOString(); return step >= 86400e3 ? s.slice(0, 10) : s.slice(5, 16).replace('T', ' '); };

export function blocksPage(root) {
  let data = null, selected = null, loading = false;
  let view = null; // {min, max} in ms when zoomed by dragging over the time axis
  const filter = h('input', { class: 'input', type: 'search', placeholder: 'Filter by ULID or label', 'data-testid': 'blocks-filter', oninput: () => draw() });
  const hideDeleted = h('input', { type: 'checkbox', 'data-testid': 'hide-deleted', onchange: () => draw() });
  const refreshBtn = h('button', { class: 'btn btn-primary', 'data-testid': 'refresh', onclick: () => load() }, 'Refresh');
  const resetZoom = h('button', { class: 'btn', 'data-testid': 'reset-zoom', hidden: true, onclick: () => { view = null; draw(); } }, 'Reset zoom');
  const info = h('span', { class: 'muted', 'data-testid': 'blocks-info' });
  const alerts = h('div', { class: 'alerts' });
  const timeline = h('div', { class: 'timeline', 'data-testid': 'timeline' });
  const partial = h('section', { class: 'partial', 'data-testid': 'partial-list' });
  const detail = h('aside', { class: 'detail', 'data-testid': 'block-detail', hidden: true });
  const legend = h('div', { class: 'blocks-legend' },
    levelColors.map((c, i) => h('span', { class: 'legend-item' }, h('span', { class: 'block-swatch', style: `background:${c}` }), `level ${i + 1}${i === levelColors.length - 1 ? '+' : ''}`)),
    h('span', { class: 'legend-item' }, h('span', { class: 'block-swatch deleted' }), 'marked for deletion'),
    h('span', { class: 'legend-item' }, h('span', { class: 'block-swatch no-compact' }), 'no-compact'));
  root.append(
    h('div', { class: 'page-head' }, h('h2', null, 'Blocks'), refreshBtn, info),
    h('div', { class: 'toolbar' }, filter, h('label', { class: 'opt' }, hideDeleted, 'Hide blocks marked for deletion'), resetZoom, legend),
    h('div', { class: 'muted hint' }, 'Drag over the time axis to zoom; click a block for its details.'),
    alerts, timeline, partial, detail);

  async function load() {
    if (loading) return;
    loading = true;
    refreshBtn.disabled = true;
    try {
      ({ data } = await getJSON('/api/v1/blocks'));
      replace(alerts, data.err && alertBox('error', `Bucket sync error: ${data.err}`));
      draw();
    } catch (e) {
      replace(alerts, alertBox('error', `Error fetching blocks: ${e.message}`));
    } finally {
      loading = false;
      refreshBtn.disabled = false;
    }
  }

  function visibleBlocks() {
    const q = filter.value.trim().toLowerCase();
    return (data.blocks || []).filter((b) => {
      if (hideDeleted.checked && isDeleted(b)) return false;
      if (!q) return true;
      const labels = labelsOf(b);
      return b.ulid.toLowerCase().includes(q) || Object.keys(labels).some((k) => `${k}="${labels[k]}"`.toLowerCase().includes(q));
    });
  }

  function draw() {
    if (!data) return;
    const all = data.blocks || [];
    const shown = visibleBlocks();
    const refreshed = data.refreshedAt ? Date.parse(data.refreshedAt) : null;
    info.textContent = `${all.length} blocks (${shown.length} shown), ${bytes(all.reduce((s, b) => s + (b.sizeBytes || 0), 0))}` +
      (refreshed ? ` · bucket synced ${ago(refreshed)}` : '');
    info.title = data.refreshedAt || '';
    drawTimeline(shown);
    drawPartial(data.partial || [], data.corrupted || []);
    if (selected) showDetail(all.find((b) => b.ulid === selected));
  }

  function drawTimeline(blocks) {
    if (!blocks.length) { replace(timeline, h('p', { class: 'muted' }, data.blocks && data.blocks.length ? 'No block matches the filter.' : 'No blocks in the bucket.')); return; }
    resetZoom.hidden = !view;
    const min = view ? view.min : Math.min(...blocks.map((b) => b.minTime));
    const max = view ? view.max : Math.max(...blocks.map((b) => b.maxTime));
    if (view) blocks = blocks.filter((b) => b.maxTime > min && b.minTime < max);
    const span = Math.max(max - min, 1);
    const pct = (t) => Math.min(Math.max(((t - min) / span) * 100, 0), 100);
    timeline.onmousedown = (e) => zoomDrag(e, min, span);
    const tks = ticks(min, max);
    const rows = [h('div', { class: 'row axis' }, h('div', { class: 'row-label' }, 'UTC'),
      h('div', { class: 'row-track' }, tks.filter((t) => pct(t.t) > 4 && pct(t.t) < 96).map((t) => h('span', { class: 'tick', style: `left:${pct(t.t)}%` }, tickLabel(t)))))];
    for (const s of streams(blocks, data.label)) {
      const n = s.resolutions.reduce((a, r) => a + r.lanes.reduce((x, l) => x + l.blocks.length, 0), 0);
      rows.push(h('div', { class: 'stream-head', 'data-testid': 'stream' },
        h('b', null, s.title), ' ', Object.keys(s.labels).sort().map((k) => h('span', { class: 'badge' }, `${k}="${s.labels[k]}"`)),
        h('span', { class: 'muted' }, ` ${n} block${n === 1 ? '' : 's'}`)));
      for (const r of s.resolutions) {
        r.lanes.forEach((lane, i) => rows.push(h('div', { class: 'row' },
          h('div', { class: 'row-label' }, i === 0 ? resolutionName(r.res) : ''),
          h('div', { class: 'row-track' }, lane.blocks.map((b) => bar(b, pct))))));
      }
    }
    replace(timeline, h('div', { class: 'grid' }, tks.map((t) => h('span', { class: 'grid-line', style: `left:${pct(t.t)}%` }))), rows);
  }

  // zoomDrag follows a drag over the timeline and zooms to the dragged range.
  function zoomDrag(e, min, span) {
    if (e.button !== 0 || e.target.closest('.block')) return;
    const grid = timeline.querySelector('.grid');
    const rect = grid.getBoundingClientRect();
    const x = (ev) => Math.min(Math.max(ev.clientX - rect.left, 0), rect.width);
    const x0 = x(e);
    const sel = grid.appendChild(h('div', { class: 'selection' }));
    const move = (ev) => { const x1 = x(ev); sel.style.left = `${Math.min(x0, x1)}px`; sel.style.width = `${Math.abs(x1 - x0)}px`; };
    const up = (ev) => {
      document.removeEventListener('mousemove', move);
      document.removeEventListener('mouseup', up);
      sel.remove();
      const x1 = x(ev);
      if (Math.abs(x1 - x0) < 5) return;
      const t = (px) => min + (px / rect.width) * span;
      view = { min: t(Math.min(x0, x1)), max: t(Math.max(x0, x1)) };
      draw();
    };
    document.addEventListener('mousemove', move);
    document.addEventListener('mouseup', up);
    e.preventDefault();
  }

  function bar(b, pct) {
    const level = (b.compaction && b.compaction.level) || 1;
    const classes = ['block'];
    if (isDeleted(b)) classes.push('deleted');
    if (isNoCompact(b)) classes.push('no-compact');
    if (b.ulid === selected) classes.push('selected');
    return h('div', {
      class: classes.join(' '), 'data-testid': 'block', 'data-ulid': b.ulid, 'data-deleted': String(isDeleted(b)),
      'data-no-compact': String(isNoCompact(b)), 'data-level': level,
      style: `left:${pct(b.minTime)}%;width:${pct(b.maxTime) - pct(b.minTime)}%;--c:${levelColor(level)}`,
      title: `${b.ulid}\n${formatTimeMs(b.minTime)} – ${formatTimeMs(b.maxTime)}\nlevel ${level}, ${count(b.stats && b.stats.numSeries)} series` +
        (isDeleted(b) ? '\nmarked for deletion' : '') + (isNoCompact(b) ? '\nno-compact' : ''),
      onclick: () => { selected = b.ulid; draw(); },
    }, isDeleted(b) ? '✕' : isNoCompact(b) ? '⊘' : '');
  }

  // drawPartial lists partial uploads (no meta.json) and, when any, block
  // folders whose meta.json could not be read (`corrupted`: {ulid, error}).
  function drawPartial(list, corrupted) {
    replace(partial, h('h3', null, `Partial uploads (${list.length})`),
      list.length ? h('table', { class: 'data-table' },
        h('thead', null, h('tr', null, h('th', null, 'ULID'), h('th', null, 'Size'), h('th', null, 'Files'))),
        h('tbody', null, list.map((p) => h('tr', { 'data-testid': 'partial', 'data-ulid': p.ulid },
          h('td', { class: 'mono' }, p.ulid), h('td', { class: 'nowrap' }, bytes(p.sizeBytes)),
          h('td', { class: 'mono' }, (p.files || []).join(', '))))))
        : h('p', { class: 'muted' }, 'None: every block folder has its meta.json.'),
      corrupted.length ? [h('h3', null, `Unreadable meta.json (${corrupted.length})`), h('table', { class: 'data-table' },
        h('tbody', null, corrupted.map((c) => h('tr', { 'data-testid': 'corrupted', 'data-ulid': c.ulid },
          h('td', { class: 'mono' }, c.ulid), h('td', { class: 'error-text' }, c.error)))))] : null);
  }

  function showDetail(b) {
    if (!b) { detail.hidden = true; selected = null; root.classList.remove('with-detail'); return; }
    const t = b.thanos || {}, c = b.compaction || {}, st = b.stats || {}, m = b.marks || {};
    const { marks, sizeBytes, ...meta } = b; // the meta.json as stored, without mnemos' extras
    const field = (k, v) => [h('dt', null, k), h('dd', null, v)];
    const ulids = (list) => (list && list.length ? h('ul', { class: 'ulids mono' }, list.map((u) => h('li', null, u))) : '-');
    replace(detail,
      h('div', { class: 'detail-head' }, h('h3', null, 'Block'), h('button', { class: 'btn btn-close', 'data-testid': 'detail-close', onclick: closeDetail }, '×')),
      h('div', { class: 'mono ulid', 'data-testid': 'detail-ulid' }, b.ulid),
      m.deletion && alertBox('warning', `Marked for deletion at ${formatTimeMs(m.deletion.deletion_time * 1000)} UTC`),
      m.noCompact && alertBox('info', `No-compact since ${formatTimeMs(m.noCompact.no_compact_time * 1000)} UTC: ${m.noCompact.reason || ''}${m.noCompact.details ? ` (${m.noCompact.details})` : ''}`),
      h('dl', null,
        field('Start', `${formatTimeMs(b.minTime)} UTC`),
        field('End', `${formatTimeMs(b.maxTime)} UTC`),
        field('Duration', formatDuration((b.maxTime - b.minTime) / 1000)),
        field('Level', String(c.level ?? '-')),
        field('Resolution', resolutionName(t.downsample && t.downsample.resolution)),
        field('Source', t.source || '-'),
        field('Labels', Object.keys(t.labels || {}).sort().map((k) => h('span', { class: 'badge' }, `${k}="${t.labels[k]}"`))),
        field('Series', count(st.numSeries)),
        field('Samples', count(st.numSamples)),
        field('Chunks', count(st.numChunks)),
        field('Size', bytes(sizeBytes))),
      t.files && t.files.length ? [h('h4', null, 'Files'), h('table', { class: 'data-table' }, h('tbody', null,
        t.files.map((f) => h('tr', null, h('td', { class: 'mono' }, f.rel_path), h('td', { class: 'nowrap' }, fileSize(f) == null ? '-' : bytes(fileSize(f)))))))] : null,
      h('h4', null, `Sources (${(c.sources || []).length})`), ulids(c.sources),
      c.parents && c.parents.length ? [h('h4', null, 'Parents'), ulids(c.parents.map((p) => p.ulid || p))] : null,
      h('h4', null, 'meta.json'), h('pre', { class: 'json', 'data-testid': 'detail-meta' }, JSON.stringify(meta, null, 2)),
      m.deletion || m.noCompact ? [h('h4', null, 'Marks'), h('pre', { class: 'json' }, JSON.stringify(marks, null, 2))] : null);
    detail.hidden = false;
    root.classList.add('with-detail');
  }
  function closeDetail() {
    selected = null;
    detail.hidden = true;
    root.classList.remove('with-detail');
    draw();
  }

  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && selected) closeDetail(); });
  load();
}
