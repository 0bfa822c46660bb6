"""How each database engine takes a consistent snapshot and loads one into a fresh database.

``engine_for(settings_dict)`` gives the engine of a Django database:

- ``SqliteEngine``: the online backup API, where one read transaction copies every page while writers go on
  in the WAL; the copy is then VACUUMed so that no deleted data lingers in free pages; ``PRAGMA
  integrity_check`` and ``foreign_key_check`` on the copy and on a restored database;
- ``PostgresEngine``: ``pg_dump -Fc`` of a snapshot exported by a repeatable-read transaction, so that the
  per-table figures describe exactly what was dumped; ``pg_restore`` into a database created for it.

Targets are always new: an existing file or database is never overwritten. The orchestration — manifest,
verification, audit — is in ``srdi.services.backups``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from srdi.services.backup_archive import extract_payload
from srdi.services.backup_manifest import (
    BackupError,
    Manifest,
    Source,
    TableFigure,
    postgres_figures,
    postgres_migrations,
    sqlite_figures,
    sqlite_migrations,
)


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of the database in a payload file, with its figures."""

    payload: Path
    created_at: str
    source: Source
    migrations: list[str]
    tables: list[TableFigure]


class Engine(Protocol):
    vendor: str
    payload_name: str

    def snapshot(self, workdir: Path) -> Snapshot: ...
    def default_target(self) -> str: ...
    def target_settings(self, target: str) -> dict[str, Any]: ...
    def describe(self, target: str) -> str: ...
    def exists(self, target: str) -> bool: ...
    def load(self, archive: Path, manifest: Manifest, target: str, workdir: Path) -> list[str]: ...
    def figures(self, target: str) -> list[TableFigure]: ...
    def drop(self, target: str) -> None: ...
    def scratch_target(self, workdir: Path) -> str: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- SQLite ---


def sqlite_integrity(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` and ``foreign_key_check``: what is wrong, or nothing."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
    problems += [
        f"外键不一致：表 {r[0]} 行 {r[1]} → {r[2]}" for r in conn.execute("PRAGMA foreign_key_check")
    ]
    return problems[:20]


class SqliteEngine:
    vendor = "sqlite"
    payload_name = "database.sqlite3"

    def __init__(self, settings_dict: dict[str, Any]):
        self.settings_dict = settings_dict
        self.path = Path(str(settings_dict["NAME"]))

    def snapshot(self, workdir: Path) -> Snapshot:
        if not self.path.is_file():
            raise BackupError(f"数据库文件 {self.path} 不存在")
        payload = workdir / self.payload_name
        source = sqlite3.connect(self.path, timeout=30)
        copy = sqlite3.connect(payload)
        try:
            created_at = _now()
            source.backup(copy)  # all pages in one step, under one read transaction: a consistent copy
            # Rebuild the copy: free pages and fragments of deleted or rewritten rows (plaintext from before
            # encryption at rest, say) are not carried into the backup.
            copy.execute("VACUUM")
            problems = sqlite_integrity(copy)
            if problems:
                raise BackupError("源数据库完整性检查未通过，未生成备份：" + "；".join(problems))
            tables = sqlite_figures(copy)
            migrations = sqlite_migrations(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
            source.close()
        return Snapshot(
            payload=payload,
            created_at=created_at,
            source=Source("sqlite", str(self.path), socket.gethostname(), sqlite3.sqlite_version),
            migrations=migrations,
            tables=tables,
        )

    def default_target(self) -> str:
        return str(self.path)

    def target_settings(self, target: str) -> dict[str, Any]:
        return {"NAME": str(Path(target).resolve())}

    def describe(self, target: str) -> str:
        return str(Path(target).resolve())

    def exists(self, target: str) -> bool:
        """A database is there (an empty file left by a mere connection does not count)."""
        path = Path(target)
        return (path.is_file() and path.stat().st_size > 0) or any(
            Path(target + suffix).exists() for suffix in ("-wal", "-journal")
        )

    def load(self, archive: Path, manifest: Manifest, target: str, workdir: Path) -> list[str]:
        path = Path(target)
        if path.is_file() and path.stat().st_size == 0:
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        extract_payload(archive, manifest, path)
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # as the application runs it
            return sqlite_integrity(conn)
        finally:
            conn.close()

    def figures(self, target: str) -> list[TableFigure]:
        conn = sqlite3.connect(target)
        try:
            return sqlite_figures(conn)
        finally:
            conn.close()

    def drop(self, target: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(target + suffix).unlink(missing_ok=True)

    def scratch_target(self, workdir: Path) -> str:
        return str(workdir / "drill.sqlite3")


# --- PostgreSQL ---


def pg_tool(name: str) -> str:
    """A PostgreSQL client program from the PATH, else from the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端程序并把它放在 PATH 上")


_DJANGO_OPTIONS = frozenset(
    {"isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory"}
)


class PostgresEngine:
    vendor = "postgresql"
    payload_name = "database.pgdump"

    def __init__(self, settings_dict: dict[str, Any]):
        self.settings_dict = settings_dict

    def _params(self, name: str | None = None) -> dict[str, Any]:
        s = self.settings_dict
        # OPTIONS are libpq parameters (``?host=/socket/dir`` lands there), except Django's own keys.
        options = {k: v for k, v in (s.get("OPTIONS") or {}).items() if k not in _DJANGO_OPTIONS}
        params = {
            **options,
            "dbname": name or s["NAME"],
            "user": s.get("USER") or options.get("user"),
            "password": s.get("PASSWORD") or options.get("password"),
            "host": s.get("HOST") or options.get("host"),
            "port": str(s["PORT"]) if s.get("PORT") else options.get("port"),
        }
        return {k: v for k, v in params.items() if v not in (None, "")}

    def _conninfo(self, name: str | None = None) -> str:
        from psycopg.conninfo import make_conninfo

        params = self._params(name)
        params.pop("password", None)  # passed in PGPASSWORD, never on a command line
        return make_conninfo(**params)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.settings_dict.get("PASSWORD"):
            env["PGPASSWORD"] = str(self.settings_dict["PASSWORD"])
        return env

    def _connect(self, name: str | None = None, autocommit: bool = False) -> Any:
        import psycopg

        return psycopg.connect(**self._params(name), autocommit=autocommit)

    def snapshot(self, workdir: Path) -> Snapshot:
        import psycopg

        payload = workdir / self.payload_name
        conn = self._connect()
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot_id, created, version = conn.execute(
                "SELECT pg_export_snapshot(), now(), current_setting('server_version')"
            ).fetchone()
            done = subprocess.run(
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    "--no-password",
                    f"--file={payload}",
                    f"--dbname={self._conninfo()}",
                ],
                env=self._env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump 失败（退出码 {done.returncode}）：{done.stderr.strip()[:500]}")
            tables = postgres_figures(conn)
            migrations = postgres_migrations(conn)
            conn.rollback()
        finally:
            conn.close()
        s = self.settings_dict
        return Snapshot(
            payload=payload,
            created_at=created.astimezone(UTC).isoformat(timespec="seconds"),
            source=Source(
                "postgresql", str(s["NAME"]), str(self._params().get("host", "localhost")), str(version)
            ),
            migrations=migrations,
            tables=tables,
        )

    def default_target(self) -> str:
        return str(self.settings_dict["NAME"])

    def target_settings(self, target: str) -> dict[str, Any]:
        return {"NAME": target}

    def describe(self, target: str) -> str:
        host = self._params().get("host", "localhost")
        return f"postgresql 数据库 {target}（{host}）"

    def _admin(self) -> Any:
        """An autocommit connection for CREATE/DROP DATABASE: the configured database, else ``postgres``."""
        import psycopg

        try:
            return self._connect(autocommit=True)
        except psycopg.OperationalError:
            return self._connect("postgres", autocommit=True)

    def exists(self, target: str) -> bool:
        with self._admin() as conn:
            return (
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target]).fetchone() is not None
            )

    def load(self, archive: Path, manifest: Manifest, target: str, workdir: Path) -> list[str]:
        from psycopg import sql

        payload = workdir / self.payload_name
        extract_payload(archive, manifest, payload)
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(target)))
        done = subprocess.run(
            [
                pg_tool("pg_restore"),
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "--no-password",
                f"--dbname={self._conninfo(target)}",
                str(payload),
            ],
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )
        payload.unlink(missing_ok=True)
        if done.returncode != 0:
            return [f"pg_restore 失败（退出码 {done.returncode}）：{done.stderr.strip()[:500]}"]
        return []

    def figures(self, target: str) -> list[TableFigure]:
        conn = self._connect(target)
        try:
            return postgres_figures(conn)
        finally:
            conn.rollback()
            conn.close()

    def drop(self, target: str) -> None:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))

    def scratch_target(self, workdir: Path) -> str:
        return f"{self.settings_dict['NAME']}_drill_{datetime.now(UTC):%Y%m%d%H%M%S}_{os.getpid()}"


def engine_for(settings_dict: dict[str, Any]) -> Engine:
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return SqliteEngine(settings_dict)
    if engine in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
        return PostgresEngine(settings_dict)
    raise BackupError(f"不支持备份的数据库类型：{engine}")
