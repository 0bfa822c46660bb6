"""``srdi screen``: whole-city assessment of every enterprise in the database against the rulebooks in force."""

from __future__ import annotations

from datetime import date

import click

from srdi.cli.main import cli, setup_django
from srdi.cli.progress import console

TIER_LABELS = {
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "省级专精特新中小企业",
    "hidden_champion": "省隐形冠军企业",
    "little_giant": "国家级专精特新“小巨人”",
}


def _day(value: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} 不是 YYYY-MM-DD 格式的日期", param_hint=option) from None


@cli.command()
@click.option(
    "--as-of", "as_of", help="评价基准日 YYYY-MM-DD（默认 SRDI_DEFAULT_AS_OF；未设置时为杭州时间的今天）"
)
@click.option(
    "--purpose",
    type=click.Choice(["application", "review"]),
    default="application",
    show_default=True,
    help="筛查目的：认定申报（application）或复核（review，只评价称号在到期区间内的企业）",
)
@click.option("--review-from", help="复核：称号到期区间起 YYYY-MM-DD（默认基准日）")
@click.option("--review-to", help="复核：称号到期区间止 YYYY-MM-DD（默认起始日后一年）")
@click.option("--as", "username", help="以该用户身份记入审计")
@click.option(
    "--partition-size",
    type=click.IntRange(min=1),
    default=None,
    help="每个分区的企业数（按企业编号连续划分，逐区读取、评价、保存；默认 250000）",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="并行评价分区的工作进程数（默认 CPU 核数，至多 2；1 为在本进程内逐区评价）",
)
def screen(
    as_of: str | None,
    purpose: str,
    review_from: str | None,
    review_to: str | None,
    username: str | None,
    partition_size: int | None,
    workers: int | None,
) -> None:
    """全市筛查：按基准日施行的各层级标准评价库中企业，分区评价，保存结果并报告变化。"""
    setup_django()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from srdi.db.models import User
    from srdi.domain.rules.engine import NoRulebook
    from srdi.services.screening import PARTITIONS_STAGE, rulebooks_text, run_screen, screening_request
    from srdi.services.screening_partitions import DEFAULT_PARTITION_SIZE, default_workers

    actor = User.objects.filter(username=username).first() if username else None
    try:
        request = screening_request(
            _day(as_of, "--as-of"),
            purpose,
            _day(review_from, "--review-from"),
            _day(review_to, "--review-to"),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:

        def progress(stage: str, n: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=n, total=total)
            if stage == PARTITIONS_STAGE and n:
                bar.console.print(f"分区 {n}/{total} 完成")

        size = partition_size or DEFAULT_PARTITION_SIZE
        processes = workers or default_workers()
        try:
            run = run_screen(
                actor=actor, request=request, progress=progress, partition_size=size, workers=processes
            )
        except NoRulebook as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"筛查 #{run.pk} 完成：{request.label}，{run.enterprises} 家企业，用时 {run.duration_ms / 1000:.1f} 秒"
    )
    for tier, label in TIER_LABELS.items():
        c = run.counts.get(tier, {})
        newly = run.changes.get("newly_eligible", {}).get(tier, {}).get("count", 0)
        lost = run.changes.get("no_longer_eligible", {}).get(tier, {}).get("count", 0)
        click.echo(
            f"  {label}（{rulebooks_text(run.rulebooks.get(tier))}）：符合 {c.get('eligible', 0)}，"
            f"不符合 {c.get('ineligible', 0)}，需补充数据 {c.get('needs_data', 0)}；新增符合 {newly}，不再符合 {lost}"
        )
    expiring = run.changes.get("expiring_within_90_days", [])
    click.echo(f"  90天内到期的称号：{len(expiring)} 个")
    for item in expiring[:10]:
        click.echo(
            f"    {item['uscc']} {TIER_LABELS.get(item['tier'], item['tier'])} 到期日 {item['expires_on']}"
        )
