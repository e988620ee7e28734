// HTTP access to the mnemos Prometheus-compatible API. Every URL is built from
// the external path prefix the server puts in <body data-prefix>.

export const prefix = (document.body.dataset.prefix || '').replace(/\/+$/, '');

// getJSON(path, params, signal) fetches `${prefix}${path}?params` and returns
// {data, warnings, headers, ms}. It throws an Error whose message is the API's
// `error` string (or the HTTP status / network failure) when it fails; aborts
// throw an Error with name 'AbortError'.
export async function getJSON(path, params, signal) {
  const qs = params ? '?' + new URLSearchParams(params).toString() : '';
  const start = performance.now();
  let res;
  try {
    res = await fetch(prefix + path + qs, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new Error(`${e.message || e} (is the server reachable?)`);
  }
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    if (e.name === 'AbortError') throw e;
  }
  const ms = performance.now() - start;
  if (!body || typeof body !== 'object') throw new Error(`unexpected response: HTTP ${res.status} ${res.statusText}`.trim());
  if (body.status !== 'success') {
    throw new Error(body.error || `HTTP ${res.status} ${res.statusText}`.trim());
  }
  return { data: body.data, warnings: body.warnings || [], headers: res.headers, ms };
}
