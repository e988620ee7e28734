#!/usr/bin/env python3
"""Throwaway scrape target serving native histograms in the protobuf exposition format."""
import http.server, struct, sys, json, threading

STEP = [0]
LOG = open('/tmp/histtarget/served.jsonl', 'a')

def uvarint(x):
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7f) | 0x80); x >>= 7
    out.append(x)
    return bytes(out)

def zz(x):  # zigzag 64
    return (x << 1) ^ (x >> 63)

def key(field, wt): return uvarint((field << 3) | wt)
def f_bytes(field, b): return key(field, 2) + uvarint(len(b)) + b
def f_str(field, s): return f_bytes(field, s.encode())
def f_uv(field, v): return key(field, 0) + uvarint(v)
def f_sv(field, v): return key(field, 0) + uvarint(zz(v) & (2**64 - 1))
def f_dbl(field, v): return key(field, 1) + struct.pack('<d', v)

def span(off, ln): return f_sv(1, off) + f_uv(2, ln)

def hist(h):
    """h: dict(count, sum, schema, zt, zc, pos=[(off,len)], pdelta/pcount, neg..., float=bool)"""
    b = b''
    if h.get('float'):
        b += f_dbl(4, float(h['count']))
    else:
        b += f_uv(1, h['count'])
    b += f_dbl(2, h['sum'])
    b += f_sv(5, h['schema'])
    b += f_dbl(6, h['zt'])
    if h.get('float'):
        b += f_dbl(8, float(h['zc']))
    else:
        b += f_uv(7, h['zc'])
    for o, l in h.get('neg', []):
        b += f_bytes(9, span(o, l))
    for c in h.get('nb', []):
        b += (f_dbl(11, float(c)) if h.get('float') else b'')
    if not h.get('float'):
        prev = 0
        for c in h.get('nb', []):
            b += f_sv(10, c - prev); prev = c
    for o, l in h.get('pos', []):
        b += f_bytes(12, span(o, l))
    if h.get('float'):
        for c in h.get('pb', []):
            b += f_dbl(14, float(c))
    else:
        prev = 0
        for c in h.get('pb', []):
            b += f_sv(13, c - prev); prev = c
    return b

def family(name, typ, h):
    metric = f_bytes(1, f_str(1, 'job_kind') + f_str(2, 'fixture')) + f_bytes(7, hist(h))
    return f_str(1, name) + f_str(2, 'fixture histogram') + f_uv(3, typ) + f_bytes(4, metric)

HIST, GAUGE_HIST = 4, 5

def mk(schema, zt, zc, pos, pb, neg=(), nb=(), s=0.0, flt=False):
    pos, pb, neg, nb = list(pos), list(pb), list(neg), list(nb)
    assert sum(l for _, l in pos) == len(pb) and sum(l for _, l in neg) == len(nb)
    return dict(schema=schema, zt=zt, zc=zc, pos=pos, pb=pb, neg=neg, nb=nb, sum=s,
                count=zc + sum(pb) + sum(nb), float=flt)

def families(s):
    fams = []
    # 1. Integer counter histogram: new buckets, counter reset, schema and zero threshold changes.
    if s < 8:
        h = mk(0, 2**-128, s // 3, [(0, 3)], [1 + s, 1 + 2 * s, 1 + s // 2], s=1.5 * s + 0.1)
    elif s < 16:
        # New buckets at index -2 (new first span) and 5 (new last span).
        h = mk(0, 2**-128, s // 3, [(-2, 1), (1, 3), (2, 1)],
               [1 + (s - 8) // 2, 1 + s, 1 + 2 * s, 1 + s // 2, s - 7], s=1.5 * s + 0.1)
    elif s < 24:
        # Counter reset.
        r = s - 16
        h = mk(0, 2**-128, 0, [(-2, 1), (1, 3), (2, 1)], [1, 1 + r, 2, 3 * r + 1, 1], s=0.25 * r)
    elif s < 32:
        # Schema change to 1; NaN sum once.
        r = s - 24
        h = mk(1, 2**-128, r, [(0, 4)], [1 + r, 2 + r, 3, 4 + 5 * r], s=float('nan') if r == 3 else 2.0 * r)
    elif s < 48:
        # Zero threshold change (not a power of two: 9-byte layout field).
        r = s - 32
        h = mk(1, 0.001, 3 + r, [(0, 4)], [1 + r, 2 + r, 3, 4 + 5 * r], s=10.0 + r / 3)
    else:
        r = s - 48
        h = mk(1, 0.001, 20 + r, [(0, 2), (3, 3)], [20, 20 + r, 1, 2 + r * r, 3], s=100.0 + r / 7)
    fams.append(family('fx_int', HIST, h))

    # 2. Negative buckets and large counts (wide varbit fields).
    big = 2**40
    neg = [(-3, 2), (1, 2)]
    nb = [big + s * 123456789, 5 * s, 2**33 + s * s * 1000003, 7]
    pos = [(10, 4)]
    pb = [s, big * 3 + s * 77777, s * s * s * 4099, 2**62 + s * 2**35]
    fams.append(family('fx_big', HIST, mk(3, 0.0 if s % 10 < 100 else 1, s * 1000, pos, pb, neg, nb, s=s * 1e15 - 3.25)))

    # 3. Empty histogram, then zero-bucket-only, then a positive bucket.
    if s < 12:
        h = mk(0, 2**-10, 0, [], [], s=0.0)
    elif s < 24:
        h = mk(0, 2**-10, s - 11, [], [], s=0.0)
    else:
        h = mk(0, 2**-10, 13, [(7, 1)], [s - 23], s=float(s))
    fams.append(family('fx_empty', HIST, h))

    # 4. Integer gauge histogram: buckets come and go, counts go up and down.
    if s % 12 < 6:
        h = mk(2, 2**-128, s % 5, [(-1, 3)], [s % 7, 3, (s * 5) % 11], [(0, 1)], [s % 3], s=-(s % 9) * 1.25)
    else:
        h = mk(2, 2**-128, s % 5, [(0, 2), (2, 1)], [(s * 3) % 8, 1, 4], [], [], s=(s % 9) * 0.5)
    fams.append(family('fx_gauge', GAUGE_HIST, h))

    # 5. Float counter histogram: new bucket, reset, negative buckets.
    if s < 20:
        pos, pb = ([(0, 2)], [0.5 * s + 0.5, 1.25 * s + 0.1]) if s < 10 else \
                  ([(0, 3)], [0.5 * s + 0.5, 1.25 * s + 0.1, 0.3 * (s - 9)])
        h = mk(2, 2**-128, 0.1 * s + 1, pos, pb, [(-1, 1)], [2.0 + s / 3], s=3.3 * s, flt=True)
    else:
        r = s - 20
        h = mk(2, 2**-128, 0.1 * r + 0.5, [(0, 3)], [0.5 * r + 0.5, 1.0, 0.1 * r + 0.1], [(-1, 1)], [0.7 + r],
               s=float('nan') if r == 5 else 1.1 * r, flt=True)
    fams.append(family('fx_float', HIST, h))

    # 6. Float gauge histogram.
    if s % 10 < 5:
        h = mk(-2, 2**-128, (s % 4) * 0.5 + 0.25, [(-1, 2)], [(s % 3) + 0.5, 1.0 / (s + 1)], s=s * 0.1 - 2, flt=True)
    else:
        h = mk(-2, 2**-128, (s % 4) * 0.5 + 0.25, [(1, 2)], [2.5, (s % 6) * 0.75 + 0.125], [(0, 1)], [1.5], s=-s * 0.1, flt=True)
    fams.append(family('fx_float_gauge', GAUGE_HIST, h))

    # 7. Series that disappears (stale marker) and comes back.
    if s < 14 or s >= 26:
        h = mk(-4, 2**-128, 1, [(0, 2)], [1 + s, 2 + s], s=0.5 * s)
        fams.append(family('fx_stale', HIST, h))
    # 8. Float histogram that disappears and comes back.
    if s < 34 or s >= 40:
        h = mk(8, 2**-128, 0.0 if s < 5 else 0.25, [(100, 2)], [1.0 + s, 2.0], s=0.5 * s, flt=True)
        if s < 5:
            h['zc'] = 0.0; h['count'] = sum(h['pb'])
        fams.append(family('fx_float_stale', HIST, h))
    return fams, h

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        s = STEP[0]; STEP[0] += 1
        fams, _ = families(s)
        body = b''.join(uvarint(len(f)) + f for f in fams)
        LOG.write(json.dumps({'step': s}) + '\n'); LOG.flush()
        self.send_response(200)
        self.send_header('Content-Type', 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass

if __name__ == '__main__':
    for s in range(70):
        families(s)  # check assertions
    http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
