"""``srdi backup`` (and ``--drill``) and ``srdi restore``: thin wrappers over ``srdi.services.backups``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from srdi.cli.main import cli, setup_django

if TYPE_CHECKING:
    from srdi.services.backups import BackupResult, RestoreResult


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


@cli.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="备份文件（默认 $SRDI_VAR_DIR/backups/srdi-<时间>.backup.tar；不覆盖已有文件）",
)
@click.option("--drill", is_flag=True, help="恢复演练：备份后恢复到临时数据库并核验，记录并打印 RPO/RTO")
def backup(output: Path | None, drill: bool) -> None:
    """备份数据库（SQLite 在线备份 / PostgreSQL pg_dump），附清单（版本、迁移、各表行数与摘要），文件权限 0600。"""
    setup_django()
    from srdi.services import backups

    try:
        if drill:
            result = backups.drill(output)
        else:
            made = backups.backup(output)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if not drill:
        _print_backup(made)
        return
    _print_backup(result.backup)
    _print_restore(result.restore)
    click.echo(
        f"RTO（从备份文件到核验通过的数据库）≈ {result.rto_seconds:.1f} 秒"
        f"（恢复 {result.restore.restore_seconds:.1f} 秒 + 核验 {result.restore.verify_seconds:.1f} 秒）"
    )
    click.echo(
        f"RPO = 备份间隔：本备份的数据截至 {result.backup.manifest.created_at}；"
        "每日备份时最多丢失约 24 小时的数据（备份耗时 "
        f"{result.backup.seconds:.1f} 秒）"
    )
    click.echo("演练已写入审计日志。" + ("演练通过。" if result.ok else "演练失败！"))
    sys.exit(0 if result.ok else 1)


def _print_backup(made: BackupResult) -> None:
    m = made.manifest
    click.echo(
        f"已备份到 {made.path}（{_size(made.bytes)}，{len(m.tables)} 张表 {m.total_rows} 行，"
        f"证明材料 {m.evidence_files} 个，"
        f"{made.seconds:.1f} 秒；数据截至 {m.created_at}）"
    )
    click.echo(f"  数据 SHA-256 {m.payload_sha256}")


def _print_restore(result: RestoreResult) -> None:
    click.echo(
        f"恢复到 {result.target}：{result.restore_seconds:.1f} 秒；核验 {result.verify_seconds:.1f} 秒"
    )
    for f in result.findings:
        click.echo(f"  {'✓' if f.ok else '✗'} {f.check}：{f.detail}")
    for note in result.notes:
        click.echo(f"  注意：{note}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    default=None,
    help="恢复目标：SQLite 为新文件路径，PostgreSQL 为同一服务器上的新数据库名（默认：当前配置的数据库，须尚不存在）",
)
@click.option(
    "--media-into",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="证明材料文件恢复到的目录（默认 $SRDI_VAR_DIR/media；文件以内容校验值命名，不会覆盖不同内容）",
)
def restore(file: Path, into: str | None, media_into: Path | None) -> None:
    """从备份恢复到一个新的数据库并核验（完整性、各表行数与摘要、审计链、总账不变量、证明材料文件）；核验失败时删除恢复结果，退出码为1。"""
    setup_django()
    from srdi.services import backups

    try:
        result = backups.restore(file, into, media_into=media_into)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _print_restore(result)
    if result.ok:
        click.echo(
            f"恢复完成并核验通过：{len(result.manifest.tables)} 张表 {result.manifest.total_rows} 行"
            f"（备份时间 {result.manifest.created_at}）。"
        )
        return
    click.echo("核验未通过：已删除恢复结果。", err=True)
    sys.exit(1)
