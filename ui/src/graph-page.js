// The Graph page: a list of panels read from and written to the URL
// (Prometheus/Thanos `g<N>.*` parameters), with Add panel / Remove panel.
import { h } from './dom.js';
import { createPanel } from './panel.js';
import { defaultPanel, encodePanels, parsePanels } from './url-state.js';

export function graphPage(root) {
  const panels = [];
  const list = h('div', { class: 'panels' });
  const addBtn = h('button', { class: 'btn btn-add', 'data-testid': 'add-panel', onclick: () => add(defaultPanel(), true) }, 'Add Panel');
  root.append(list, addBtn);

  // writeURL keeps the address bar shareable; replaceState avoids one history
  // entry per execution.
  function writeURL() {
    const qs = encodePanels(panels.map((p) => p.options));
    if (location.search.slice(1) !== qs) history.replaceState(null, '', `${location.pathname}?${qs}`);
  }

  function add(options, focus) {
    const panel = createPanel(options, {
      onChange: writeURL,
      onRemove: () => {
        panels.splice(panels.indexOf(panel), 1);
        panel.destroy();
        if (!panels.length) add(defaultPanel(), true);
        writeURL();
      },
    });
    panels.push(panel);
    list.append(panel.el);
    if (focus) panel.focus();
    return panel;
  }

  const initial = parsePanels(location.search);
  for (const options of initial) add(options, false).execute();
  if (initial.length === 1 && !initial[0].expr) panels[0].focus();
}
