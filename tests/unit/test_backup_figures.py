"""The per-table figures of a backup manifest: the same rows give the same digest whatever order they were
written in; removing, adding or changing any one row changes it; a manifest edited anywhere is refused."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srdi.services.backup_manifest import BackupError, Manifest, Source, TableFigure, sqlite_figures

values = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=8), st.binary(max_size=4))
rows = st.lists(st.tuples(values, values), min_size=1, max_size=12)


def figures(table_rows: list[tuple], order: list[int] | None = None) -> TableFigure:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b)")
    numbered = [(i + 1, *r) for i, r in enumerate(table_rows)]
    for i in order or range(len(numbered)):
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", numbered[i])
    (figure,) = sqlite_figures(conn)
    conn.close()
    return figure


@settings(max_examples=60, deadline=None)
@given(rows, st.randoms())
def test_the_order_rows_were_written_in_does_not_matter(table_rows, rnd):
    order = list(range(len(table_rows)))
    rnd.shuffle(order)
    assert figures(table_rows) == figures(table_rows, order)


@settings(max_examples=60, deadline=None)
@given(rows, st.data())
def test_any_removed_or_changed_row_changes_the_figure(table_rows, data):
    base = figures(table_rows)
    i = data.draw(st.integers(0, len(table_rows) - 1))
    removed = table_rows[:i] + table_rows[i + 1 :]
    if removed:
        assert figures(removed) != base
    new_value = data.draw(
        values.filter(lambda v: v != table_rows[i][0] or type(v) is not type(table_rows[i][0]))
    )
    changed = [*table_rows]
    changed[i] = (new_value, table_rows[i][1])
    assert figures(changed).sha256 != base.sha256


def _manifest() -> Manifest:
    return Manifest(
        srdi_version="1.0",
        created_at="2026-12-07T00:00:00+00:00",
        source=Source("sqlite", "/x.sqlite3", "host", "3.40"),
        migrations=["srdi.0001_initial"],
        tables=[TableFigure("t", 3, "a" * 64)],
        payload_name="database.sqlite3",
        payload_bytes=10,
        payload_sha256="b" * 64,
    )


def test_a_manifest_round_trips():
    m = _manifest()
    assert Manifest.from_json(m.to_json()) == m


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("tables", 0, "rows"), 2),
        (("payload_sha256",), "c" * 64),
        (("migrations",), []),
        (("created_at",), "x"),
    ],
)
def test_an_edited_manifest_is_refused(path, value):
    outer = json.loads(_manifest().to_json())
    node = outer["manifest"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(BackupError, match="摘要与内容不符"):
        Manifest.from_json(json.dumps(outer).encode())


def test_garbage_is_not_a_manifest():
    with pytest.raises(BackupError, match="无法读取"):
        Manifest.from_json(b"\x00\xffnot json")
