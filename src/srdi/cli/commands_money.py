"""``srdi ledger verify``, ``srdi programme``, ``srdi offers``, ``srdi payments`` and ``srdi vouchers``: running the
money."""

from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import click

from srdi.cli.main import cli, setup_django


@cli.group()
def ledger() -> None:
    """资金总账。"""


@ledger.command()
def verify() -> None:
    """逐项核验总账不变量（借贷平衡、预算不超额、一事一付、哈希链、状态与分录一致）；有违反时退出码为1。"""
    setup_django()
    from srdi.services.ledger_verify import verify_all

    failed = False
    for check in verify_all():
        mark = "✓" if check.ok else "✗"
        click.echo(
            f"{mark} {check.code} {check.label}：检查 {check.checked} 项，违反 {len(check.violations)} 项"
        )
        for v in check.violations[:20]:
            click.echo(f"    {v}")
        failed |= not check.ok
    sys.exit(1 if failed else 0)


def _user(username: str | None):  # type: ignore[no-untyped-def]
    from srdi.db.models import User

    if not username:
        raise click.ClickException("请用 --as 指定操作人（须为具备相应权限的用户）")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在或已停用")
    return user


def _wan_to_fen(value: str) -> int:
    return int(Decimal(value) * 1_000_000)


@cli.group()
def programme() -> None:
    """申报批次。"""


@programme.command(name="create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--article", type=int, required=True, help="81号条款号，如 9")
@click.option("--year", type=int, required=True)
@click.option("--opens", "opens_on", required=True)
@click.option("--closes", "closes_on", required=True)
@click.option("--city-budget-wan", required=True, help="市级预算（万元）")
@click.option("--district-budget-wan", default="0", help="每个区县的预算（万元）")
@click.option("--publicity-days", type=int, default=7, show_default=True)
@click.option("--quota", type=int, default=None)
@click.option("--evidence", multiple=True, help="必需材料（可多次）")
@click.option("--as", "username")
def programme_create(
    code: str,
    name: str,
    article: int,
    year: int,
    opens_on: str,
    closes_on: str,
    city_budget_wan: str,
    district_budget_wan: str,
    publicity_days: int,
    quota: int | None,
    evidence: tuple[str, ...],
    username: str | None,
) -> None:
    """创建申报批次并下达预算。"""
    setup_django()
    from srdi.services.programmes import ProgrammeError, create_programme

    try:
        p = create_programme(
            code=code,
            name=name,
            article=article,
            year=year,
            opens_on=date.fromisoformat(opens_on),
            closes_on=date.fromisoformat(closes_on),
            city_budget_fen=_wan_to_fen(city_budget_wan),
            district_budget_fen=_wan_to_fen(district_budget_wan),
            publicity_days=publicity_days,
            quota=quota,
            required_evidence=list(evidence),
            actor=_user(username) if username else None,
        )
    except ProgrammeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建批次 {p.code}（#{p.pk}）")


@cli.command()
@click.argument("programme_code")
@click.option("--as", "username")
def offers(programme_code: str, username: str | None) -> None:
    """免申即享：按已登记数据为符合条件的企业生成兑现要约。"""
    setup_django()
    from srdi.db.models import Programme
    from srdi.services.programmes import generate_offers

    p = Programme.objects.filter(code=programme_code).first()
    if p is None:
        raise click.ClickException(f"批次 {programme_code} 不存在")
    summary = generate_offers(p, actor=_user(username) if username else None)
    click.echo(
        f"新生成要约 {summary.created} 个（其中数据不全 {summary.incomplete} 个），已存在 {summary.existing} 个"
    )


@cli.group()
def payments() -> None:
    """拨付。"""


@payments.command(name="run")
@click.option("--programme", "programme_code", default=None)
@click.option("--run", "run_id", type=int, default=None, help="继续执行已有批次（中断后重跑）")
@click.option(
    "--file",
    "file_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="同时导出拨付文件（.csv 或 .xlsx）",
)
@click.option("--as", "username", required=True)
def payments_run(
    programme_code: str | None, run_id: int | None, file_path: Path | None, username: str
) -> None:
    """把已批准事项列入拨付批次并执行拨付（可安全重跑：已拨付的不会重复）。"""
    setup_django()
    from srdi.db.models import PaymentRun, Programme
    from srdi.services.cases import TransitionRefused
    from srdi.services.payments import PaymentConflict, create_payment_run, execute_payment_run, payment_file

    user = _user(username)
    try:
        if run_id is not None:
            run = PaymentRun.objects.filter(pk=run_id).first()
            if run is None:
                raise click.ClickException(f"拨付批次 #{run_id} 不存在")
        else:
            programme = Programme.objects.filter(code=programme_code).first() if programme_code else None
            run = create_payment_run(user, programme)
            click.echo(f"拨付批次 #{run.pk}")
        if file_path is not None:
            file_path.write_bytes(payment_file(run, "csv" if file_path.suffix == ".csv" else "xlsx", user))
        result = execute_payment_run(run, user)
    except (PaymentConflict, TransitionRefused) as exc:  # the services refuse (and audit) with the reason
        raise click.ClickException(str(exc)) from None
    click.echo(f"已拨付 {len(result.paid)} 笔，失败 {len(result.failed)} 笔，跳过 {len(result.skipped)} 笔")


@cli.group()
def vouchers() -> None:
    """服务券（第25条）。"""


@vouchers.command(name="expire")
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="以该日为准（默认今天）"
)
def vouchers_expire(on: datetime | None) -> None:
    """作废有效期已过、尚未使用的服务券，面额退回年度资金（可每日运行，可安全重跑）。"""
    setup_django()
    from srdi.services.vouchers import expire_vouchers

    done = expire_vouchers(on.date() if on is not None else None)
    total = sum(v.face_value_fen for v in done)
    click.echo(f"已作废过期服务券 {len(done)} 张，退回 {total / 100:,.2f} 元")
