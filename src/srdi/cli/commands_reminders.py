"""``srdi reminders [--on DATE] [--dry-run]``: the daily reminders (run once a day, e.g. from cron).

Sends to the inbox the reminders of ``services.reminders`` that are due on the day (default: today in Hangzhou)
and were not sent before, and prints the counts per kind. ``--dry-run`` prints what would be sent and writes
nothing. Exit code 0 (also when nothing is due).
"""

from __future__ import annotations

from datetime import datetime

import click

from srdi.cli.main import cli, setup_django


@cli.command(name="reminders")
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="提醒日期（默认杭州今天）"
)
@click.option("--dry-run", is_flag=True, help="只列出将发送的提醒，不发送、不记录")
def reminders(on: datetime | None, dry_run: bool) -> None:
    """每日提醒：梯度认定到期复核、资质称号到期、年度数据更新、申报批次开始与截止、目标进度滞后、责任单位季度报告逾期（站内信，同一提醒只发一次）。"""
    setup_django()
    from srdi.services.cases import today
    from srdi.services.reminders import Kind, run_reminders

    day = on.date() if on is not None else today()
    result = run_reminders(day, dry_run=dry_run)
    verb = "将发送" if dry_run else "已发送"
    click.echo(f"每日提醒 {day}{'（试运行，未发送）' if dry_run else ''}")
    for kind in Kind:
        due = result.due.get(kind, 0)
        if not due:
            continue
        click.echo(
            f"  {kind.label}：到期 {due} 条，{verb} {result.sent.get(kind, 0)} 条"
            f"（站内信 {result.messages.get(kind, 0)} 封），此前已发送 {result.already_sent.get(kind, 0)} 条"
        )
    if dry_run:
        for r in result.reminders:
            click.echo(f"    {r.key}  {r.messages[0].title}")
    click.echo(f"合计：{verb} {result.total_sent} 条提醒")
