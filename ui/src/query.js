// Entry of the querier's bundle (pages `graph` and `stores`).
import 'uplot/dist/uPlot.min.css';
import './css/common.css';
import './css/query.css';
import { mount } from './nav.js';
import { graphPage } from './graph-page.js';
import { storesPage } from './stores.js';

const { page, main } = mount();
if (page === 'stores') storesPage(main);
else graphPage(main);
