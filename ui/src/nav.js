// The navigation bar shared by every page: brand and the links of the
// component serving the page (querier: Graph, Stores; bucket/compact: Blocks).
import { prefix } from './api.js';
import { h } from './dom.js';

const linksByComponent = {
  query: [['graph', 'Graph'], ['stores', 'Stores']],
  bucket: [['blocks', 'Blocks']],
  compact: [['blocks', 'Blocks']],
};

export function renderNav(page, component) {
  const links = linksByComponent[component] || linksByComponent[page === 'blocks' ? 'bucket' : 'query'];
  return h('nav', { class: 'nav', 'data-testid': 'nav' },
    h('a', { class: 'brand', href: `${prefix}/${links[0][0]}` }, 'mnemos'),
    links.map(([p, text]) => h('a', { href: `${prefix}/${p}`, class: p === page ? 'active' : null, 'data-testid': `nav-${p}` }, text)),
    component && h('span', { class: 'component' }, component));
}

// mount renders the nav bar and returns the element pages render into.
export function mount() {
  const { page = '', component = '' } = document.body.dataset;
  const app = document.getElementById('app') || document.body.appendChild(h('div', { id: 'app' }));
  const main = h('main', { class: `page page-${page}` });
  app.append(renderNav(page, component), main);
  return { page, main };
}
