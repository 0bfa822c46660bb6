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


# --- development settings only on a loopback address (issue #13 item 7) ---

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.test import override_settings  # noqa: E402

from srdi.cli import commands_server  # noqa: E402
from srdi.cli.serve_guard import ServeSettings, is_loopback, refusal  # noqa: E402

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the address under test
PROD_KEY = "k" * 20 + "-production-secret-key-0123456789"

import srdi  # noqa: E402

SRC = str(Path(srdi.__file__).resolve().parents[1])  # this checkout's code, not an installed copy's


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", [ALL_INTERFACES, "::", "10.0.0.5", "192.168.1.2", "example.gov.cn", ""])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def _dev(host: str, **changes: object) -> ServeSettings:
    values: dict = {
        "host": host,
        "settings_module": "srdi.config.settings.dev",
        "debug": True,
        "secret_key": "dev-only-insecure-key-do-not-use-in-production",
    }
    values.update(changes)
    return ServeSettings(**values)


def test_dev_settings_are_allowed_on_loopback_only() -> None:
    assert refusal(_dev("127.0.0.1")) is None
    assert refusal(_dev("::1")) is None
    message = refusal(_dev(ALL_INTERFACES))
    assert message is not None
    assert "拒绝" in message and "Refusing" in message
    assert "DJANGO_SETTINGS_MODULE=srdi.config.settings.prod" in message
    assert "SECRET_KEY" in message and "ALLOWED_HOSTS" in message


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"debug": True}, "DEBUG"),
        ({"settings_module": "srdi.config.settings.test"}, "srdi.config.settings.test"),
        ({"secret_key": "dev-only-insecure-key-do-not-use-in-production"}, "published default key"),
        ({"secret_key": "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789"}, "published default key"),
        ({"secret_key": "short-key"}, "shorter than 32"),
    ],
)
def test_each_development_trait_alone_is_refused_off_loopback(changes: dict, named: str) -> None:
    prod = {"settings_module": "srdi.config.settings.prod", "debug": False, "secret_key": PROD_KEY}
    assert refusal(ServeSettings(host="10.1.2.3", **prod)) is None
    message = refusal(ServeSettings(host="10.1.2.3", **{**prod, **changes}))
    assert message is not None and named in message


@pytest.fixture
def no_exec(monkeypatch):
    """Record the exec instead of becoming gunicorn."""
    calls: list[list[str]] = []
    monkeypatch.setattr(commands_server.os, "execv", lambda path, args: calls.append(args))
    return calls


def test_serve_command_refuses_test_settings_on_all_interfaces(no_exec) -> None:
    result = CliRunner().invoke(serve, ["--host", ALL_INTERFACES])
    assert result.exit_code == 1
    assert "Refusing to serve development settings" in result.output
    assert no_exec == []


@pytest.mark.django_db  # serve checks the database's triggers before it starts
def test_serve_command_starts_on_loopback_with_development_settings(no_exec) -> None:
    with override_settings(DEBUG=True):
        result = CliRunner().invoke(serve, ["--host", "127.0.0.1", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert no_exec and "127.0.0.1:8123" in no_exec[0]


@pytest.mark.django_db
def test_serve_command_starts_anywhere_with_production_settings(no_exec, monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "srdi.config.settings.prod")
    with override_settings(DEBUG=False, SECRET_KEY=PROD_KEY):
        result = CliRunner().invoke(serve, ["--host", ALL_INTERFACES])
    assert result.exit_code == 0, result.output
    assert no_exec and "0.0.0.0:8000" in no_exec[0]


def test_a_real_srdi_serve_with_default_settings_refuses_a_public_address(tmp_path) -> None:
    """The default (development) settings, no SECRET_KEY: the process exits before binding anything."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    env["SRDI_VAR_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = SRC
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from srdi.cli.main import main; main()",
            "serve",
            "--host",
            ALL_INTERFACES,
            "--port",
            "1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "拒绝在非本机地址 0.0.0.0 上以开发配置启动" in done.stderr
    assert "DEBUG" in done.stderr and "published default key" in done.stderr
