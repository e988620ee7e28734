#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (fuzz/corpus/<target>/) from the real block in
fuzz/data/ (made by promtool). Run from anywhere: python3 fuzz/make_corpus.py

With --block it first remakes that block: an OpenMetrics file (two counters with a reset,
one gauge, 150 samples each) turned into a block by
`promtool tsdb create-blocks-from openmetrics` (Prometheus 2.42's promtool).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
CORPUS = os.path.join(HERE, "corpus")


def make_block():
    lines = ["# HELP http_requests_total Requests.", "# TYPE http_requests_total counter"]
    base = 1700000000
    for code in ["200", "500"]:
        for i in range(150):
            v = 1 if i == 80 else i * 3 + (7 if code == "500" else 0)
            lines.append(f'http_requests_total{{code="{code}",job="api"}} {v} {base + i * 15}')
    lines += ["# HELP temp_celsius Temperature.", "# TYPE temp_celsius gauge"]
    for i in range(150):
        lines.append(f'temp_celsius{{room="a b",job="sensor"}} {20 + (i % 7) * 0.25} {base + i * 15}')
    lines.append("# EOF")
    with tempfile.TemporaryDirectory() as tmp:
        om = os.path.join(tmp, "data.om")
        with open(om, "w") as f:
            f.write("\n".join(lines) + "\n")
        out = os.path.join(tmp, "out")
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", om, out], check=True)
        shutil.rmtree(DATA, ignore_errors=True)
        shutil.copytree(out, DATA)


def block_dir():
    names = [n for n in os.listdir(DATA) if len(n) == 26]
    if len(names) != 1:
        sys.exit(f"want exactly one block in {DATA}, found {names}")
    return os.path.join(DATA, names[0]), names[0]


def crc32c(data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def varint(v):
    return uvarint((v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1)


def xor_chunks(segment):
    """The (encoding, data) of every chunk of a segment file."""
    out, at = [], 8
    while at < len(segment):
        n, shift, length = 0, 0, 0
        while True:
            b = segment[at + n]
            length |= (b & 0x7F) << shift
            n += 1
            shift += 7
            if b < 0x80:
                break
        enc = segment[at + n]
        data = segment[at + n + 1 : at + n + 1 + length]
        out.append((enc, data))
        at += n + 1 + length + 4
    return out


def aggr(parts):
    out = bytearray()
    for p in parts:
        if p is None:
            out.append(0)
        else:
            out += uvarint(len(p)) + b"\x01" + p
    return bytes(out)


# Protobuf, by hand (field numbers of DESIGN.md section 3).
def pb_varint(field, v):
    return uvarint(field << 3) + uvarint(v & 0xFFFFFFFFFFFFFFFF)


def pb_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return uvarint((field << 3) | 2) + uvarint(len(b)) + b


def matcher(kind, name, value):
    return pb_varint(1, kind) + pb_bytes(2, name) + pb_bytes(3, value)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    if "--block" in sys.argv:
        make_block()
    bdir, ulid = block_dir()
    read = lambda rel: open(os.path.join(bdir, rel), "rb").read()
    index, segment, meta_json, tomb = read("index"), read("chunks/000001"), read("meta.json"), read("tombstones")
    shutil.rmtree(CORPUS, ignore_errors=True)

    write("tsdb_index", "promtool-block-index", index)

    write("tsdb_chunks", "promtool-segment", segment)
    chunks = xor_chunks(segment)
    write("tsdb_chunks", "xor-chunk", chunks[0][1])
    write("tsdb_chunks", "xor-chunk-reset", chunks[-1][1])

    write("tsdb_tombstones", "promtool-empty", tomb)
    body = b"".join(uvarint(r) + varint(a) + varint(b) for r, a, b in
                    [(1, 1700000000000, 1700000600000), (1, 1700001000000, 1700001200000), (16, -5, 7)])
    write("tsdb_tombstones", "three-intervals", struct.pack(">IB", 0x0130BA30, 1) + body + struct.pack(">I", crc32c(body)))

    write("block_meta", "promtool-meta", meta_json)
    meta = json.loads(meta_json)
    meta["compaction"]["parents"] = [{"ulid": ulid, "minTime": meta["minTime"], "maxTime": meta["maxTime"]}]
    meta["thanos"] = {"version": 1, "labels": {"cluster": "fuzz", "replica": "a"},
                      "downsample": {"resolution": 300000}, "source": "compactor",
                      "segment_files": ["000001"],
                      "files": [{"rel_path": "chunks/000001", "size_bytes": len(segment)},
                                {"rel_path": "index", "size_bytes": len(index)}, {"rel_path": "meta.json"}]}
    write("block_meta", "thanos-meta", json.dumps(meta, indent="\t"))
    write("block_meta", "deletion-mark", json.dumps({"id": ulid, "version": 1, "details": "compacted", "deletion_time": 1700003000}))
    write("block_meta", "no-compact-mark", json.dumps({"id": ulid, "version": 1, "details": "x", "no_compact_time": 1700003000, "reason": "manual"}))

    xs = [d for e, d in chunks if e == 1]
    write("aggr_chunk", "all-parts", aggr([xs[0], xs[1], xs[2], xs[3], xs[-1]]))
    write("aggr_chunk", "count-sum-counter", aggr([xs[0], xs[1], None, None, xs[2]]))

    for i, q in enumerate([
        'sum by (job) (rate(http_requests_total[5m]))',
        'histogram_quantile(0.9, sum by (le) (rate(http_requests_total[1m])))',
        'max_over_time(temp_celsius{room=~"a|b"}[10m:30s] offset 1m) / on (job) group_left count(up)',
        'topk(2, -temp_celsius) or label_replace(up, "x", "$1", "instance", "(.*):.*")',
        'increase(http_requests_total{code!="200"}[15m] @ 1700000900) > bool 3',
        'absent_over_time(nope[5m]) + scalar(vector(time()))',
        'quantile_over_time(0.5, temp_celsius[20m]) unless ignoring(room) predict_linear(up[5m], 60)',
    ]):
        write("promql", f"query-{i}", q)

    t0, t1 = 1700000000000, 1700002235001
    series = (pb_varint(1, t0) + pb_varint(2, t1)
              + pb_bytes(3, matcher(0, "__name__", "http_requests_total"))
              + pb_bytes(3, matcher(2, "code", "2.."))
              + pb_bytes(14, "replica") + pb_varint(15, 10))
    write("storeapi", "series-raw", b"\x00" + series)
    downsampled = (pb_varint(1, t0) + pb_varint(2, t1) + pb_bytes(3, matcher(3, "job", "x.*"))
                   + pb_varint(4, 300000) + pb_bytes(5, bytes([1, 2, 3, 4, 5])))
    write("storeapi", "series-5m-aggregates", b"\x00" + downsampled)
    write("storeapi", "series-skip-chunks", b"\x00" + pb_varint(1, t0) + pb_varint(2, t1)
          + pb_bytes(3, matcher(1, "room", "")) + pb_varint(8, 1) + pb_varint(6, 1))
    write("storeapi", "label-names", b"\x01" + pb_varint(3, t0) + pb_varint(4, t1)
          + pb_bytes(6, matcher(0, "job", "sensor")) + pb_varint(8, 5))
    write("storeapi", "label-values", b"\x02" + pb_bytes(1, "code") + pb_varint(4, t0) + pb_varint(5, t1)
          + pb_bytes(7, matcher(2, "__name__", "http_.*")))

    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(CORPUS) for f in fs)
    print(f"corpus: {total} bytes")


if __name__ == "__main__":
    main()
