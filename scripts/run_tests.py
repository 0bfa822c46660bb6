"""Run the whole test suite: lint and import contracts, then pytest on SQLite, then on PostgreSQL.

PostgreSQL runs when its server binaries (initdb, pg_ctl) are found: a throwaway cluster is created in a
temporary directory, listening only on a unix socket, and removed afterwards. Browser tests run when
Chromium is found (they skip themselves otherwise). Exit status is non-zero if any stage fails.

The SQLite and PostgreSQL stages run at the same time (each test process has its own temporary var directory,
free ports and LibreOffice profile), which on two cores takes about the time of the longer stage instead of both;
the PostgreSQL stage's output is printed when it ends. ``SRDI_TESTS_SERIAL=1`` runs them one after the other.
The SQLite stage runs the unit tests in two pytest-xdist workers first, then the rest (``SRDI_TESTS_NO_XDIST=1``:
all in one process, as before).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(title: str, args: list[str], env: dict[str, str] | None = None) -> bool:
    print(f"\n=== {title} ===", flush=True)
    started = time.monotonic()
    code = subprocess.call(args, cwd=ROOT, env={**os.environ, **(env or {})})
    _ended(title, code, started)
    return code == 0


def _ended(title: str, code: int, started: float) -> None:
    print(
        f"=== {title}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.monotonic() - started:.0f}s ===",
        flush=True,
    )


class Background:
    """A stage run beside the foreground one, its output kept in a file and printed when it ends."""

    def __init__(self, title: str, args: list[str], env: dict[str, str]) -> None:
        self.title = title
        self.log = tempfile.NamedTemporaryFile(prefix="srdi-stage-", suffix=".log", delete=False)  # noqa: SIM115
        self.started = time.monotonic()
        print(f"\n=== {title}: started beside the next stage (output follows when it ends) ===", flush=True)
        self.process = subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait(self) -> bool:
        code = self.process.wait()
        self.log.close()
        print(f"\n=== {self.title} ===", flush=True)
        with open(self.log.name, encoding="utf-8", errors="replace") as fh:
            shutil.copyfileobj(fh, sys.stdout)
        sys.stdout.flush()
        os.unlink(self.log.name)
        _ended(self.title, code, self.started)
        return code == 0


def find_pg_bin() -> Path | None:
    for name in ("initdb", "pg_ctl"):
        if shutil.which(name) is None:
            break
    else:
        return Path(shutil.which("initdb")).parent  # type: ignore[arg-type]
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory, on a unix socket only."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="srdi-pg-"))
        self.data = self.dir / "data"
        self.socket = self.dir

    def _as_pg_user(self, args: list[str]) -> list[str]:
        # initdb refuses to run as root; drop to the postgres (or nobody) user when we are root.
        if os.geteuid() != 0:
            return args
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        return ["runuser", "-u", user, "--", *args]

    def start(self) -> str:
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.dir, user)
            os.chmod(self.dir, 0o700)
        subprocess.run(
            self._as_pg_user(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "srdi",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        opts = f"-c listen_addresses='' -k {self.socket} -c fsync=off -c full_page_writes=off -c max_connections=100"
        subprocess.run(
            self._as_pg_user(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    opts,
                    "-w",
                    "-l",
                    str(self.dir / "log"),
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return f"postgres://srdi@/srdi_test?host={self.socket}"

    def stop(self) -> None:
        subprocess.run(
            self._as_pg_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


Stage = tuple[str, list[str], dict[str, str]]


def _sqlite_stages(report: list[str], args: list[str]) -> list[Stage]:
    """The SQLite stage: with no arguments, the unit tests first in two pytest-xdist workers (they share nothing:
    each worker has its own settings module import, so its own temporary var directory and test database), then
    every other test in one process; with arguments, exactly those in one process."""
    sqlite = {"DATABASE_URL": ""}
    if args or os.environ.get("SRDI_TESTS_NO_XDIST"):
        return [("pytest on SQLite", [str(BIN / "pytest"), *report, *args], sqlite)]
    return [
        (
            "pytest on SQLite: unit tests (2 workers)",
            [str(BIN / "pytest"), "-n", "2", *report, "tests/unit"],
            sqlite,
        ),
        ("pytest on SQLite: the other tests", [str(BIN / "pytest"), *report, "--ignore=tests/unit"], sqlite),
    ]


def main() -> int:
    args = sys.argv[1:]
    ok = True
    if not args:
        ok &= run("ruff", [str(BIN / "ruff"), "check", "src", "tests", "benchmarks", "scripts"])
        ok &= run("import contracts (domain stays pure)", [str(BIN / "lint-imports")])
        ok &= run("mypy", [str(BIN / "mypy"), "src/srdi"])
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    report = ["--durations=15"]
    sqlite_stages = _sqlite_stages(report, args)
    bindir = find_pg_bin()
    if bindir is None:
        print("\nPostgreSQL server binaries not found: PostgreSQL stage skipped.")
        for stage in sqlite_stages:
            ok &= run(*stage)
        return 0 if ok else 1
    pg = ThrowawayPostgres(bindir)
    try:
        url = pg.start()
        pg_stage = (
            "pytest on PostgreSQL (database tests)",
            [str(BIN / "pytest"), *report, "-m", "not browser", "tests/integration", *args],
            {"DATABASE_URL": url},
        )
        if os.environ.get("SRDI_TESTS_SERIAL"):
            for stage in sqlite_stages:
                ok &= run(*stage)
            ok &= run(*pg_stage)
        else:
            beside = Background(*pg_stage)
            try:
                for stage in sqlite_stages:
                    ok &= run(*stage)
            except BaseException:
                beside.process.kill()
                raise
            ok &= beside.wait()
    finally:
        pg.stop()
    print("\nALL STAGES PASSED" if ok else "\nSOME STAGES FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
