"""``srdi serve``: the gunicorn command line it runs."""

from __future__ import annotations

from click.testing import CliRunner

from srdi.cli.commands_server import gunicorn_args, serve


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_each_worker_takes_only_as_many_connections_as_it_has_threads() -> None:
    args = gunicorn_args("127.0.0.1", 8123, workers=3, threads=6)
    assert _option(args, "--bind") == "127.0.0.1:8123"
    assert _option(args, "--workers") == "3"
    assert _option(args, "--threads") == "6"
    # Without this, keep-alive connections stay with the worker that accepted them and one worker does the work.
    assert _option(args, "--worker-connections") == "6"
    assert _option(args, "--keep-alive") == "0"
    assert args[-1] == "srdi.config.wsgi:application"


def test_thread_and_worker_counts_are_checked() -> None:
    result = CliRunner().invoke(serve, ["--threads", "0"])
    assert result.exit_code == 2
    assert "--threads" in result.output
