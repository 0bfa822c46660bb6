"""The manifest stored with every backup, and the per-table figures it holds.

Use ``sqlite_figures`` / ``postgres_figures`` to count and digest every table of a database (the snapshot being
backed up, or a database just restored), ``Manifest`` to carry them with the version, the migration state and
the payload's SHA-256, and ``Manifest.from_json`` to read one back — which refuses a manifest whose own digest
does not match. A table's digest is SHA-256 over its rows in primary-key order, one canonical line per row, so
a row removed, added or changed anywhere changes it. The digest is computed the same way on the same engine at
backup and at restore; it is not comparable across engines.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


@dataclass(frozen=True)
class TableFigure:
    """One table: its row count and the SHA-256 of its rows in primary-key order."""

    name: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Source:
    """Where the backup came from (no password)."""

    vendor: str  # "sqlite" or "postgresql"
    database: str
    host: str
    server_version: str


@dataclass(frozen=True)
class Manifest:
    """What a backup holds and how to check it."""

    srdi_version: str
    created_at: str  # UTC, ISO 8601: the moment of the consistent snapshot
    source: Source
    migrations: list[str]  # "app.name", sorted
    tables: list[TableFigure]
    payload_name: str
    payload_bytes: int
    payload_sha256: str
    format: int = FORMAT
    evidence_files: int = 0  # evidence files packed beside the database (srdi.services.backup_evidence)
    evidence_bytes: int = 0
    evidence_digest: str = ""  # SHA-256 over their sorted names (each name is its content's SHA-256)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def body(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def digest(self) -> str:
        """SHA-256 over the canonical JSON of the manifest."""
        return _sha(_canonical(self.body()))

    def to_json(self) -> bytes:
        return json.dumps(
            {"manifest": self.body(), "digest": self.digest}, ensure_ascii=False, indent=1, sort_keys=True
        ).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            outer = json.loads(data.decode("utf-8"))
            body = outer["manifest"]
            manifest = cls(
                srdi_version=body["srdi_version"],
                created_at=body["created_at"],
                source=Source(**body["source"]),
                migrations=list(body["migrations"]),
                tables=[TableFigure(**t) for t in body["tables"]],
                payload_name=body["payload_name"],
                payload_bytes=int(body["payload_bytes"]),
                payload_sha256=body["payload_sha256"],
                format=int(body["format"]),
                evidence_files=int(body.get("evidence_files", 0)),
                evidence_bytes=int(body.get("evidence_bytes", 0)),
                evidence_digest=str(body.get("evidence_digest", "")),
                extra=dict(body.get("extra") or {}),
            )
            recorded = outer["digest"]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise BackupError(
                f"备份清单无法读取（{type(exc).__name__}）：文件已损坏或不是 srdi 备份"
            ) from None
        if manifest.format != FORMAT:
            raise BackupError(f"备份清单格式 {manifest.format} 不受支持（本版本为 {FORMAT}）")
        if manifest.digest != recorded:
            raise BackupError("备份清单的摘要与内容不符：清单已被改动或损坏，拒绝恢复")
        return manifest


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compare_tables(expected: list[TableFigure], actual: list[TableFigure]) -> list[str]:
    """Every difference between two sets of figures, as sentences (empty when they agree)."""
    problems = []
    want = {t.name: t for t in expected}
    got = {t.name: t for t in actual}
    for name in sorted(want.keys() - got.keys()):
        problems.append(f"表 {name} 在恢复后的数据库中不存在")
    for name in sorted(got.keys() - want.keys()):
        problems.append(f"表 {name} 不在备份清单中")
    for name in sorted(want.keys() & got.keys()):
        w, g = want[name], got[name]
        if w.rows != g.rows:
            problems.append(f"表 {name} 行数 {g.rows} 与清单 {w.rows} 不符")
        elif w.sha256 != g.sha256:
            problems.append(f"表 {name} 内容摘要与清单不符（行数相同，内容被改动）")
    return problems


# --- SQLite ---


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return value


def sqlite_figures(conn: sqlite3.Connection) -> list[TableFigure]:
    """Rows and digest of every table of an SQLite database (its own ``sqlite_*`` tables excepted)."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    figures = []
    for table in tables:
        columns = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        key = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5] > 0]
        order = ", ".join(_quote(c) for c in key) or "rowid"
        digest = hashlib.sha256()
        rows = 0
        for row in conn.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}"):  # noqa: S608 - quoted names
            digest.update(_canonical([_sqlite_value(v) for v in row]) + b"\n")
            rows += 1
        figures.append(TableFigure(table, rows, digest.hexdigest()))
    return figures


def sqlite_migrations(conn: sqlite3.Connection) -> list[str]:
    return [f"{a}.{n}" for a, n in conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name")]


# --- PostgreSQL ---

# The session settings under which a row's text form is the same at backup and at restore.
POSTGRES_SESSION = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)


def postgres_figures(conn: Any) -> list[TableFigure]:
    """Rows and digest of every table in the current schema, each row in the server's text form of the
    record, in primary-key order (whole-row order for a table without one). ``conn`` is a psycopg
    connection inside the transaction whose snapshot is being described."""
    from psycopg import sql

    for statement in POSTGRES_SESSION:
        conn.execute(statement)
    tables = conn.execute(
        "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    ).fetchall()
    figures = []
    for oid, table in tables:
        key = conn.execute(
            "SELECT a.attname, a.attcollation <> 0 FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s AND i.indisprimary "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [oid],
        ).fetchall()
        ident = sql.Identifier(table)
        # Text keys sort bytewise (COLLATE "C"): the restored database may have another default collation.
        order = (
            sql.SQL(", ").join(
                sql.SQL('{} COLLATE "C"' if collatable else "{}").format(sql.Identifier(c))
                for c, collatable in key
            )
            if key
            else sql.SQL('t::text COLLATE "C"')
        )
        query = sql.SQL("SELECT t::text FROM {} AS t ORDER BY {}").format(ident, order)
        digest = hashlib.sha256()
        rows = 0
        with conn.cursor(name=f"srdi_figures_{oid}") as cursor:
            cursor.itersize = 5000
            cursor.execute(query)
            for (text,) in cursor:
                digest.update(text.encode("utf-8") + b"\n")
                rows += 1
        figures.append(TableFigure(table, rows, digest.hexdigest()))
    return figures


def postgres_migrations(conn: Any) -> list[str]:
    rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    return [f"{a}.{n}" for a, n in rows]
