// Stand-in for the `lru-cache` package (24 KB minified), which
// codemirror-promql only uses as `new LRUCache({ttl, ttlAutopurge})` with
// get/set to cache label names and values for autocompletion. Entries expire
// lazily after `ttl` ms; the few completion entries need no size bound.
export class LRUCache {
  constructor(options) {
    this.ttl = (options && options.ttl) || 0;
    this.map = new Map();
  }
  get(key) {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (this.ttl && Date.now() - e.at > this.ttl) { this.map.delete(key); return undefined; }
    return e.value;
  }
  set(key, value) {
    this.map.set(key, { value, at: Date.now() });
    return this;
  }
  has(key) { return this.get(key) !== undefined; }
  delete(key) { return this.map.delete(key); }
  clear() { this.map.clear(); }
}
