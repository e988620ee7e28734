#!/usr/bin/env node
// Development server for the UI (no dependencies): serves the same HTML shell
// as the Rust server for /graph, /stores (query bundle) and /blocks (bucket
// bundle), crates/ui/assets/* at /static/, and proxies /api/* to a querier.
//
//   node ui/dev-server.mjs --querier http://127.0.0.1:10902 [--port 9099] [--prefix /mnemos]
//        [--bucket http://127.0.0.1:10903 | --blocks-fixture ui/dev/blocks.json]
//        [--fake-endpoints 'a:1,b:2']   (adds a mnemos-endpoints header when the querier sends none)
//        [--gzip]   (gzip the assets when the browser accepts it, as the Rust server does)
//
// Rebuild the bundles with ui/build.sh and reload the page.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
  return acc;
}, []));
const port = +(args.port || 9099);
const prefix = (args.prefix || '').replace(/\/+$/, '');
const assets = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'crates', 'ui', 'assets');
const pages = { graph: ['query', 'query'], stores: ['query', 'query'], blocks: ['bucket', 'bucket'] };

function shell(page) {
  const [bundle, component] = pages[page];
  const hash = (ext) => createHash('sha256').update(readFileSync(path.join(assets, `${bundle}.${ext}`))).digest('hex').slice(0, 12);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>mnemos</title><link rel="stylesheet" href="${prefix}/static/${bundle}.css?v=${hash('css')}"></head><body data-page="${page}" data-prefix="${prefix}" data-component="${component}"><div id="app"></div><script src="${prefix}/static/${bundle}.js?v=${hash('js')}"></script></body></html>`;
}

function proxy(req, res, base, pathAndQuery) {
  const target = new URL(base.replace(/\/+$/, '') + pathAndQuery);
  const up = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
    const headers = { ...r.headers };
    if (args['fake-endpoints'] && /\/api\/v1\/query(_range)?$/.test(target.pathname) && !headers['mnemos-endpoints']) {
      headers['mnemos-endpoints'] = args['fake-endpoints'];
    }
    res.writeHead(r.statusCode, headers);
    r.pipe(res);
  });
  up.on('error', (e) => { res.writeHead(502, { 'content-type': 'text/plain' }); res.end(`proxy error: ${e.message}`); });
  req.pipe(up);
}

const types = { js: 'application/javascript', css: 'text/css', md: 'text/markdown' };

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (prefix && !url.pathname.startsWith(prefix)) { res.writeHead(302, { location: prefix + '/graph' }); res.end(); return; }
  const p = url.pathname.slice(prefix.length) || '/';
  if (p === '/') { res.writeHead(302, { location: prefix + '/graph' }); res.end(); return; }
  const page = p.slice(1);
  if (pages[page]) { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(shell(page)); return; }
  if (p.startsWith('/static/')) {
    const name = path.basename(p);
    try {
      let body = readFileSync(path.join(assets, name));
      const headers = { 'content-type': types[name.split('.').pop()] || 'application/octet-stream', 'cache-control': 'no-cache' };
      if (args.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
        body = gzipSync(body);
        headers['content-encoding'] = 'gzip';
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch { res.writeHead(404); res.end(); }
    return;
  }
  if (p === '/api/v1/blocks' && args['blocks-fixture']) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(readFileSync(args['blocks-fixture']));
    return;
  }
  if (p === '/api/v1/blocks' && args.bucket) return proxy(req, res, args.bucket, p + url.search);
  if (p.startsWith('/api/') && args.querier) return proxy(req, res, args.querier, p + url.search);
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
}).listen(port, '127.0.0.1', () => console.log(`mnemos UI dev server: http://127.0.0.1:${port}${prefix}/graph`));
