"""Django's deployment check passes under the production settings, given the environment production sets.

Runs ``manage.py check --deploy --fail-level WARNING`` in a child process with
``DJANGO_SETTINGS_MODULE=srdi.config.settings.prod`` (the settings module cannot be swapped inside a running
test process). The one silenced warning, security.W021 (HSTS preload), is documented in docs/operations.md;
setting SRDI_HSTS_PRELOAD=1 turns preload on and the check stays clean.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

import srdi

SRC = str(Path(srdi.__file__).resolve().parents[1])


def deploy_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SRDI_", "SECRET_KEY"))}
    env.update(
        DJANGO_SETTINGS_MODULE="srdi.config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        SRDI_PII_KEYS=f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        SRDI_PII_HASH_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="srdi.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SRDI_VAR_DIR=str(tmp_path),
        PYTHONPATH=SRC,
    )
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    done = deploy_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (1 silenced)." in done.stdout


def test_deploy_check_is_clean_with_hsts_preload_and_nothing_silenced(tmp_path):
    done = deploy_check(tmp_path, SRDI_HSTS_PRELOAD="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


@pytest.mark.parametrize("key", ["", "too-short", "dev-only-insecure-key-do-not-use-in-production"])
def test_production_settings_do_not_start_without_a_real_key(tmp_path, key):
    done = deploy_check(tmp_path, SECRET_KEY=key)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
