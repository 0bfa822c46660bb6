"""``srdi demo``: deterministic demo data and one login per role."""

from __future__ import annotations

import time

import click
from rich.console import Console
from rich.table import Table

from srdi.cli.main import cli, setup_django
from srdi.cli.progress import advance, console, progress_bar


def _print_logins(logins: list[tuple[str, str, str, str]]) -> None:
    from srdi.services.demo import iter_logins_table, logins_path

    table = Table(title=f"演示账号（已保存在 {logins_path()}，权限 0600）")
    rows = list(iter_logins_table(logins))
    for i, header in enumerate(("用户名", "密码", "角色", "数据范围")):
        # never truncate a username or password: give them their full width; long scopes wrap
        width = max([len(r[i]) for r in rows] + [4]) if i < 2 else None
        table.add_column(header, min_width=width, no_wrap=i < 2, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=True).print(table)


@cli.command()
@click.option(
    "--enterprises",
    "-n",
    "count",
    type=click.IntRange(1, 10_000_000),
    default=3000,
    show_default=True,
    help="生成的企业数",
)
@click.option(
    "--seed", type=click.IntRange(0), default=20240127, show_default=True, help="随机种子（相同种子数据相同）"
)
@click.option("--if-empty", is_flag=True, help="数据库中已有企业时什么也不做（仍显示已保存的演示账号）")
@click.option("--no-users", is_flag=True, help="不创建演示账号")
@click.option("--logins", "show_logins", is_flag=True, help="只显示已保存的演示账号")
def demo(count: int, seed: int, if_empty: bool, no_users: bool, show_logins: bool) -> None:
    """生成确定性的演示数据（企业、近四年财务数据、认定、知识产权、平台评价得分、政策事件）并创建各角色演示账号。

    数据按杭州当前年度生成（财务数据截至上一年度）。"""
    setup_django()
    from srdi.db.models import Enterprise
    from srdi.demo.generator import current_year, generate
    from srdi.services.demo import (
        DemoLoadError,
        create_demo_users,
        load_tables,
        logins_path,
        read_logins,
        total_rows,
    )
    from srdi.services.demo_money import create_demo_money
    from srdi.services.demo_showcase import create_demo_showcase

    if show_logins:
        logins = read_logins()
        if not logins:
            raise click.ClickException(f"没有已保存的演示账号（{logins_path()}）；请先运行 srdi demo")
        _print_logins(logins)
        return
    if if_empty and Enterprise.objects.exists():
        click.echo(f"数据库中已有 {Enterprise.objects.count()} 家企业，未生成演示数据。", err=True)
        logins = read_logins()
        if logins:
            _print_logins(logins)
        return

    started = time.monotonic()
    year = current_year()
    with console.status(f"正在生成 {count} 家演示企业（种子 {seed}，{year} 年）…"):
        tables = generate(count, seed, as_of_year=year)
    generated = time.monotonic()
    click.echo(f"已生成 {count} 家企业的数据，用时 {generated - started:.1f} 秒", err=True)
    try:
        with progress_bar("写入数据库", total_rows(tables)) as bar:
            load_tables(tables, progress=lambda k: advance(bar, k), seed=seed)
    except DemoLoadError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"已写入 {count} 家企业（共 {total_rows(tables)} 行），用时 {time.monotonic() - generated:.1f} 秒",
        err=True,
    )
    if no_users:
        return
    messages: list[str] = []
    phase = time.monotonic()
    logins = create_demo_users(messages)
    click.echo(f"已创建演示账号，用时 {time.monotonic() - phase:.1f} 秒", err=True)
    phase = time.monotonic()
    with console.status("正在生成演示业务：申报批次、各环节案件、拨付与服务券…"):
        create_demo_money(messages, say=lambda line: console.print(line, markup=False, highlight=False))
    click.echo(
        f"已生成演示业务（批次、案件、拨付、服务券），用时 {time.monotonic() - phase:.1f} 秒", err=True
    )
    phase = time.monotonic()
    create_demo_showcase(messages)
    click.echo(f"已生成典型案例，用时 {time.monotonic() - phase:.1f} 秒", err=True)
    for line in messages:
        click.echo(line, err=True)
    click.echo(f"演示数据全部完成，共用时 {time.monotonic() - started:.1f} 秒", err=True)
    _print_logins(logins)
