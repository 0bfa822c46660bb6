"""``srdi report monthly --month YYYY-MM --out DIR [--district CODE]``: the monthly leadership brief.

Writes ``DIR/srdi-monthly-YYYY-MM.pdf`` and ``.xlsx`` (``…-YYYY-MM-<district>.*`` for a district's brief) with the
figures on the month's last day (``srdi.services.monthly_report``). Exit codes: 0 written; 2 a bad month,
district or directory (Chinese message, nothing written).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from srdi.cli.main import cli, setup_django

EXIT_USAGE = 2


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(EXIT_USAGE)


@cli.group(name="report")
def report() -> None:
    """领导报告：月度简报（PDF 与 XLSX）。"""


@report.command(name="monthly")
@click.option("--month", "month", required=True, help="月份 YYYY-MM，例如 2026-11（数据截至该月最后一天）")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="输出目录（不存在时创建）",
)
@click.option("--district", "district", default=None, help="区划代码（如 330106），只出该区县的简报")
def monthly(month: str, out: Path, district: str | None) -> None:
    """月度简报：关键指标、图表、分区县表和依据数字生成的简要分析，写出 PDF 与 XLSX。"""
    from srdi.domain.programme.brief import MonthError, parse_month

    try:
        year, mon = parse_month(month)
    except MonthError as exc:
        _fail(str(exc))
        return
    if out.exists() and not out.is_dir():
        _fail(f"输出目录 {out} 是一个文件，不是目录")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"无法创建输出目录 {out}：{exc.strerror or exc}")
    if not os.access(out, os.W_OK | os.X_OK):
        _fail(f"输出目录 {out} 不可写")
    setup_django()
    from srdi.db.models import District
    from srdi.services.monthly_report import Format, gather, render

    if district and not District.objects.filter(code=district).exists():
        _fail(f"没有区划代码为 {district} 的区县")
    brief = gather(year, mon, district)
    for fmt in Format:
        f = render(brief, fmt)
        path = out / f.name
        try:
            path.write_bytes(f.content)
        except OSError as exc:
            _fail(f"无法写入 {path}：{exc.strerror or exc}")
        click.echo(f"已写出 {path}（{len(f.content):,} 字节）")
    click.echo(f"月度简报 {brief.month_label}（{brief.scope_label}），数据截至 {brief.as_of.isoformat()}")
