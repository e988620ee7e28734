// Entry of the bucket viewer's bundle (page `blocks`); no CodeMirror here.
import './css/common.css';
import './css/bucket.css';
import { mount } from './nav.js';
import { blocksPage } from './blocks.js';

blocksPage(mount().main);
