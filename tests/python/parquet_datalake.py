#!/usr/bin/env python3
"""Reads converted blocks' Parquet files the way a data-lake user would, twice: with DuckDB
(`read_parquet`) and with pyarrow (`pyarrow.parquet.read_table`), the files as they are.

    parquet_datalake.py BLOCK_DIR [BLOCK_DIR ...]

A block directory holds `<shard>.labels.parquet` and `<shard>.chunks.parquet` (shard 0, 1,
…; row i of both files of a shard is one series). For each block and each engine it prints
the series count, every label name's sorted distinct values, the samples (sum of the
2-byte big-endian sample counts at the start of every chunk record in every `s_data_*`
cell; float, histogram and float-histogram records), the chunk records, the first and last
timestamps of the records, and the samples of every series (its labels and count). Then it
runs the cardinality report of docs/parquet-duckdb.md in DuckDB over all the blocks given:
series per metric, series and distinct values per label name, the top label pairs.

Output: one JSON object on stdout (`versions`, `blocks` {dir: {duckdb, pyarrow}}, `report`
{sql, series_per_metric, series_per_label, top_label_values}, `agree`). The script checks
the files' framing (record lengths, `s_col_indexes` against the non-null label columns) and
exits 1 with the reason on stderr when they are malformed, and exits 3 (after printing the
JSON) when DuckDB and pyarrow disagree. tests/tests/parquet_datalake.rs runs it.
"""

import json
import os
import re
import sys

import duckdb
import pyarrow
import pyarrow.parquet as pq

# The cardinality report, over a view `series` of labels files (docs/parquet-duckdb.md has
# the same statements; the test checks they are there verbatim).
SERIES_VIEW_PREFIX = "CREATE VIEW series AS SELECT * FROM read_parquet("
SERIES_VIEW_SUFFIX = ", union_by_name = true);"

SERIES_PER_METRIC = """\
SELECT l___name__ AS metric, count(DISTINCT s_series_hash) AS series
FROM series
GROUP BY metric
ORDER BY series DESC, metric;"""

SERIES_PER_LABEL = """\
WITH pairs AS (
  UNPIVOT (SELECT s_series_hash, COLUMNS('^l_') FROM series)
  ON COLUMNS('^l_') INTO NAME label VALUE value
)
SELECT substr(label, 3) AS label,
       count(DISTINCT s_series_hash) AS series,
       count(DISTINCT value) AS distinct_values
FROM pairs
GROUP BY label
ORDER BY distinct_values DESC, label;"""

TOP_LABEL_VALUES = """\
WITH pairs AS (
  UNPIVOT (SELECT s_series_hash, COLUMNS('^l_') FROM series)
  ON COLUMNS('^l_') INTO NAME label VALUE value
)
SELECT substr(label, 3) AS label, value, count(DISTINCT s_series_hash) AS series
FROM pairs
GROUP BY label, value
ORDER BY series DESC, label, value
LIMIT 20;"""

ENCODINGS = {1: "xor", 2: "histogram", 3: "float_histogram"}
LABEL_PREFIX = "l_"
DATA_COLUMN = re.compile(r"^s_data_[0-9]+$")


class Malformed(Exception):
    """The files do not follow the format (docs/parquet.md §1–§3)."""


def uvarint(buf, pos, what):
    """Unsigned LEB128 (Go binary.Uvarint) at pos: (value, next position)."""
    value, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise Malformed(f"{what}: truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise Malformed(f"{what}: varint longer than 64 bits")


def varint(buf, pos, what):
    """Zigzag signed varint (Go binary.Varint): (value, next position)."""
    u, pos = uvarint(buf, pos, what)
    return (u >> 1) ^ -(u & 1), pos


def signed64(u):
    return u - (1 << 64) if u >= 1 << 63 else u


def cell_records(cell, what):
    """The records of a chunk cell: (encoding, min time, max time, samples) each."""
    out = []
    pos = 0
    while pos < len(cell):
        encoding, pos = uvarint(cell, pos, what)
        mint, pos = uvarint(cell, pos, what)
        maxt, pos = uvarint(cell, pos, what)
        length, pos = uvarint(cell, pos, what)
        if encoding not in ENCODINGS:
            raise Malformed(f"{what}: chunk encoding {encoding}")
        if length < 2 or pos + length > len(cell):
            raise Malformed(f"{what}: chunk of {length} bytes at {pos} in a {len(cell)}-byte cell")
        samples = int.from_bytes(cell[pos : pos + 2], "big")
        mint, maxt = signed64(mint), signed64(maxt)
        if samples == 0 or mint > maxt:
            raise Malformed(f"{what}: chunk of {samples} samples in [{mint}, {maxt}]")
        out.append((ENCODINGS[encoding], mint, maxt, samples))
        pos += length
    return out


def check_col_indexes(raw, columns, row, what):
    """`s_col_indexes` lists exactly the label columns (by leaf index) the row has."""
    count, pos = varint(raw, 0, what)
    listed = []
    for _ in range(count):
        i, pos = varint(raw, pos, what)
        listed.append(i)
    if pos != len(raw):
        raise Malformed(f"{what}: {len(raw) - pos} bytes after {count} indexes")
    want = [i for i, c in enumerate(columns) if c.startswith(LABEL_PREFIX) and row[c] is not None]
    if listed != want:
        raise Malformed(f"{what}: s_col_indexes {listed}, non-null label columns {want}")


def summarize(shards):
    """One engine's view of a block from its shards: a list of (labels columns in file order,
    labels rows, chunks rows), rows being dicts by column name."""
    label_values = {}
    encodings = {name: 0 for name in ENCODINGS.values()}
    series_samples = []
    chunks, series = 0, 0
    min_time, max_time = None, None
    data_columns = set()
    for shard, (columns, label_rows, chunk_rows) in enumerate(shards):
        if len(label_rows) != len(chunk_rows):
            raise Malformed(
                f"shard {shard}: {len(label_rows)} labels rows, {len(chunk_rows)} chunks rows"
            )
        for r, (lrow, crow) in enumerate(zip(label_rows, chunk_rows)):
            what = f"shard {shard} row {r}"
            check_col_indexes(lrow["s_col_indexes"], columns, lrow, what)
            labels = {
                c[len(LABEL_PREFIX) :]: v
                for c, v in lrow.items()
                if c.startswith(LABEL_PREFIX) and v is not None
            }
            for name, value in labels.items():
                label_values.setdefault(name, set()).add(value)
            n = 0
            for col, cell in crow.items():
                if not DATA_COLUMN.match(col):
                    continue
                data_columns.add(col)
                for enc, mint, maxt, samples in cell_records(cell, f"{what} {col}"):
                    encodings[enc] += samples
                    n += samples
                    chunks += 1
                    min_time = mint if min_time is None else min(min_time, mint)
                    max_time = maxt if max_time is None else max(max_time, maxt)
            series_samples.append([labels, n])
            series += 1
    series_samples.sort(key=lambda e: json.dumps(sorted(e[0].items()), ensure_ascii=False))
    return {
        "series": series,
        "label_values": {k: sorted(v) for k, v in sorted(label_values.items())},
        "samples": sum(encodings.values()),
        "samples_by_encoding": encodings,
        "chunks": chunks,
        "min_time": min_time,
        "max_time": max_time,
        "data_columns": len(data_columns),
        "series_samples": series_samples,
    }


def shard_files(block_dir):
    """[(labels path, chunks path)] by shard number; fails without shard 0 or with a gap."""
    shards = {}
    for name in os.listdir(block_dir):
        m = re.fullmatch(r"([0-9]+)\.labels\.parquet", name)
        if m:
            shards[int(m.group(1))] = os.path.join(block_dir, name)
    if not shards or sorted(shards) != list(range(len(shards))):
        raise Malformed(f"{block_dir}: labels files of shards {sorted(shards)}")
    out = []
    for n in range(len(shards)):
        chunks = os.path.join(block_dir, f"{n}.chunks.parquet")
        if not os.path.isfile(chunks):
            raise Malformed(f"{chunks} is missing")
        out.append((shards[n], chunks))
    return out


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def duckdb_rows(con, path):
    """Columns in file order and rows (dicts) of one Parquet file, in file row order."""
    cur = con.execute(
        f"SELECT * FROM read_parquet({sql_string(path)}, file_row_number = true) "
        "ORDER BY file_row_number"
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row)) for row in cur.fetchall()]
    for row in rows:
        del row["file_row_number"]
    return [n for n in names if n != "file_row_number"], rows


def with_duckdb(con, block_dir):
    shards = []
    for labels, chunks in shard_files(block_dir):
        columns, label_rows = duckdb_rows(con, labels)
        _, chunk_rows = duckdb_rows(con, chunks)
        shards.append((columns, label_rows, chunk_rows))
    return summarize(shards)


def with_pyarrow(block_dir):
    shards = []
    for labels, chunks in shard_files(block_dir):
        lt = pq.read_table(labels)
        ct = pq.read_table(chunks)
        shards.append((lt.column_names, lt.to_pylist(), ct.to_pylist()))
    return summarize(shards)


def report(con, block_dirs):
    """The cardinality report over every labels file of the blocks."""
    files = [labels for d in block_dirs for labels, _ in shard_files(d)]
    file_list = "[" + ", ".join(sql_string(f) for f in files) + "]"
    view = SERIES_VIEW_PREFIX + file_list + SERIES_VIEW_SUFFIX
    con.execute(view)
    queries = {
        "series_per_metric": SERIES_PER_METRIC,
        "series_per_label": SERIES_PER_LABEL,
        "top_label_values": TOP_LABEL_VALUES,
    }
    out = {
        "sql": dict(
            queries, series_view_prefix=SERIES_VIEW_PREFIX, series_view_suffix=SERIES_VIEW_SUFFIX
        )
    }
    for key, sql in queries.items():
        out[key] = [list(row) for row in con.execute(sql).fetchall()]
    return out


def differences(a, b, path=""):
    """Where two JSON values differ (at most a few places)."""
    if type(a) is not type(b):
        return [f"{path or '.'}: {a!r:.80} vs {b!r:.80}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'pyarrow' if k in b else 'duckdb'}")
            else:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out[:10]
    if isinstance(a, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, f"{path}[{i}]")
        return out[:10]
    return [] if a == b else [f"{path or '.'}: {a!r:.80} vs {b!r:.80}"]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    block_dirs = argv[1:]
    con = duckdb.connect()
    out = {
        "versions": {"duckdb": duckdb.__version__, "pyarrow": pyarrow.__version__},
        "blocks": {},
    }
    problems = []
    try:
        for d in block_dirs:
            by_duckdb = with_duckdb(con, d)
            by_pyarrow = with_pyarrow(d)
            out["blocks"][d] = {"duckdb": by_duckdb, "pyarrow": by_pyarrow}
            problems += [f"{d}: {p}" for p in differences(by_duckdb, by_pyarrow)]
        out["report"] = report(con, block_dirs)
    except Malformed as e:
        print(f"malformed Parquet files: {e}", file=sys.stderr)
        return 1
    out["agree"] = not problems
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    if problems:
        print("DuckDB and pyarrow disagree:\n" + "\n".join(problems), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
