"""The ``srdi`` command. Subcommands that need the database set Django up first; ``assess`` and
``entitle`` run on the pure domain only, so they start fast and need no database.
"""

from __future__ import annotations

import os
import sys

import click


def setup_django() -> None:
    """Configure Django (development settings unless DJANGO_SETTINGS_MODULE says otherwise)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srdi.config.settings.dev")
    import django

    django.setup()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="srdi")
def cli() -> None:
    """srdi — 杭州专精特新名城政策平台（杭政办函〔2023〕81号）."""


def use_local_reference_data() -> None:
    """Prefer a local LPR file ($SRDI_VAR_DIR/lpr_1y.csv, written by the old ``srdi lpr set``) over the shipped one;
    approved releases (``srdi lpr propose``) are laid over either by ``srdi.services.lpr``."""
    from pathlib import Path

    from srdi.domain.reference import use_lpr_file

    local = Path(os.environ.get("SRDI_VAR_DIR", "var")) / "lpr_1y.csv"
    if local.is_file():
        use_lpr_file(local)


def main() -> None:
    """Console-script entry point."""
    use_local_reference_data()
    from srdi.cli import (  # noqa: F401 - importing registers the commands
        commands_accounts,
        commands_audit,
        commands_backup,
        commands_contract,
        commands_data,
        commands_demo,
        commands_money,
        commands_parameters,
        commands_pii,
        commands_policy,
        commands_policy_check,
        commands_reminders,
        commands_report,
        commands_rules,
        commands_server,
        commands_tokens,
        jobs,
    )

    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("已中断", err=True)
        sys.exit(130)


if __name__ == "__main__":  # ``python -m srdi.cli.main``: run the package module, where the commands register
    from srdi.cli import main as package_main

    package_main.main()
