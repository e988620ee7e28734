// h(tag, attrs, ...children): the one DOM helper of the UI. attrs keys:
// `class`, `on<event>` (function), `data-*`/other attributes (false/null skip),
// and the properties `value`, `checked`, `disabled`, `selected`. Children may be
// nodes, strings, numbers, arrays, or null/false (skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const k in attrs) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// clear removes every child of el, then appends the given children.
export function replace(el, ...children) {
  el.textContent = '';
  append(el, children);
  return el;
}

// alert renders a Prometheus-like alert box: kind is `error` or `warning`.
export function alertBox(kind, text) {
  return h('div', { class: `alert alert-${kind}`, role: 'alert', 'data-testid': kind }, text);
}
