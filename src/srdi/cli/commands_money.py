"""``srdi ledger verify``, ``srdi programme``, ``srdi offers``, ``srdi payments`` and ``srdi vouchers``: running the
money."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from srdi.cli.main import cli, setup_django


@cli.group()
def ledger() -> None:
    """资金总账。"""


@ledger.command()
def verify() -> None:
    """逐项核验总账不变量 I1–I7（借贷平衡、预算不超额、一事一付、哈希链、状态一致、同一事项不重复兑现）；违反时退出码为1。"""
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


def _fen(option: str, value: str) -> int:
    """万元 typed on the command line → fen, exactly (a fraction of a fen or a bad number is refused)."""
    from srdi.domain.money import MoneyError, wan_to_fen

    try:
        fen = wan_to_fen(value.strip())
    except MoneyError as exc:
        raise click.BadParameter(f"{value!r}：{exc}", param_hint=option) from None
    if fen < 0:
        raise click.BadParameter(f"{value!r}：金额不能为负", param_hint=option)
    return fen


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}：日期应为 YYYY-MM-DD", param_hint=option) from None


def _district_budgets(items: tuple[str, ...]) -> dict[str, int] | None:
    """``330106=300`` (区县代码或名称=万元) for each district that gets a budget."""
    if not items:
        return None
    from srdi.domain.reference import districts

    codes = {d.code: d.code for d in districts()} | {d.name: d.code for d in districts()}
    out: dict[str, int] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in codes:
            raise click.BadParameter(
                f"{item!r}：应为 区县代码或名称=万元，如 330106=300", param_hint="--district-budget"
            )
        out[codes[key.strip()]] = _fen("--district-budget", value)
    return out


def _programme(code: str):  # type: ignore[no-untyped-def]
    from srdi.db.models import Programme

    found = Programme.objects.filter(code=code).first()
    if found is None:
        raise click.ClickException(f"批次 {code} 不存在")
    return found


@cli.group()
def programme() -> None:
    """申报批次。"""


@programme.command(name="create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--article", type=int, required=True, help="81号条款号，如 9")
@click.option("--year", type=int, required=True)
@click.option("--opens", "opens_on", required=True, help="开始受理日 YYYY-MM-DD")
@click.option("--closes", "closes_on", required=True, help="截止日 YYYY-MM-DD")
@click.option("--city-budget-wan", required=True, help="市级预算（万元）")
@click.option("--district-budget-wan", default="0", help="每个区县相同的预算（万元）")
@click.option(
    "--district-budget", "district_budget", multiple=True, help="某区县的预算：区县代码或名称=万元（可多次）"
)
@click.option("--city-pays-all", multiple=True, help="由市级全额承担的区县代码（可多次）")
@click.option("--publicity-days", type=int, default=None, help="公示期（工作日），默认取程序规定的下限")
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
    district_budget: tuple[str, ...],
    city_pays_all: tuple[str, ...],
    publicity_days: int | None,
    quota: int | None,
    evidence: tuple[str, ...],
    username: str | None,
) -> None:
    """创建申报批次并下达市级与各区县预算。"""
    setup_django()
    from srdi.services.programmes import ProgrammeError, create_programme

    per_district = _district_budgets(district_budget)
    uniform = _fen("--district-budget-wan", district_budget_wan)
    if per_district is not None and uniform:
        raise click.BadParameter(
            "不能同时使用 --district-budget 与 --district-budget-wan", param_hint="--district-budget"
        )
    try:
        p = create_programme(
            code=code,
            name=name,
            article=article,
            year=year,
            opens_on=_day("--opens", opens_on),
            closes_on=_day("--closes", closes_on),
            city_budget_fen=_fen("--city-budget-wan", city_budget_wan),
            district_budget_fen=uniform,
            district_budgets=per_district,
            city_pays_all=list(city_pays_all),
            publicity_days=publicity_days,
            quota=quota,
            required_evidence=list(evidence),
            actor=_user(username) if username else None,
        )
    except ProgrammeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建批次 {p.code}（#{p.pk}），公示期 {p.publicity_days} 个工作日")


@programme.command(name="close")
@click.argument("programme_code")
@click.option("--reason", default="", help="结束说明")
@click.option("--as", "username", required=True)
def programme_close(programme_code: str, reason: str, username: str) -> None:
    """结束批次：不再生成要约、不再受理申报；未提交的要约和草稿失效。"""
    setup_django()
    from srdi.services.programmes import ProgrammeError, close_programme

    try:
        lapsed = close_programme(_programme(programme_code), _user(username), reason)
    except ProgrammeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"批次 {programme_code} 已结束，{lapsed} 件未提交的事项失效")


@programme.command(name="budgets")
@click.argument("programme_code")
def programme_budgets(programme_code: str) -> None:
    """批次的各方预算（额度、已承诺、已支付、可用）与下达、调整记录。"""
    setup_django()
    from srdi.domain.money import format_wan
    from srdi.services.budgets import history, side_label

    p = _programme(programme_code)
    for b in p.budgets.order_by("side", "district_code"):
        side = side_label("city" if b.side == "city" else b.district_code)
        click.echo(
            f"{side}\t额度 {format_wan(b.cap_fen)}\t已承诺 {format_wan(b.used_fen - b.paid_fen)}\t"
            f"已支付 {format_wan(b.paid_fen)}\t可用 {format_wan(b.available_fen)}"
        )
    for h in history(p):
        adj = f" #{h.adjustment.pk}" if h.adjustment else ""
        click.echo(
            f"{h.at:%Y-%m-%d %H:%M}\t{h.what}{adj}\t{h.sides}\t{format_wan(h.amount_fen)}\t{h.status}\t{h.reason}"
        )


@cli.group()
def budget() -> None:
    """预算调整（追加、调剂、核减），双人审批后记入总账。"""


@budget.command(name="adjust")
@click.argument("programme_code")
@click.option("--kind", type=click.Choice(["increase", "transfer", "release"]), required=True)
@click.option("--amount-wan", required=True)
@click.option("--from", "source", default="", help="调出：city 或区县代码")
@click.option("--to", "target", default="", help="调入：city 或区县代码")
@click.option("--reason", required=True)
@click.option("--document", default="", help="依据文件")
@click.option("--as", "username", required=True)
def budget_adjust(
    programme_code: str,
    kind: str,
    amount_wan: str,
    source: str,
    target: str,
    reason: str,
    document: str,
    username: str,
) -> None:
    """提出预算调整（待另一名市级管理员审批）。"""
    setup_django()
    from srdi.services.budgets import BudgetError, propose_adjustment

    try:
        adj = propose_adjustment(
            _programme(programme_code),
            kind=kind,
            amount_fen=_fen("--amount-wan", amount_wan),
            reason=reason,
            source=source,
            target=target,
            document=document,
            actor=_user(username),
        )
    except BudgetError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"预算调整 #{adj.pk} 已提交，待审批")


@budget.command(name="decide")
@click.argument("adjustment_id", type=int)
@click.option("--approve/--refuse", required=True)
@click.option("--reason", default="")
@click.option("--as", "username", required=True)
def budget_decide(adjustment_id: int, approve: bool, reason: str, username: str) -> None:
    """审批预算调整：批准即记入总账（提出人不能审批自己的调整）。"""
    setup_django()
    from srdi.services.budgets import BudgetError, decide_adjustment

    try:
        adj = decide_adjustment(adjustment_id, _user(username), approve=approve, reason=reason)
    except BudgetError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"预算调整 #{adj.pk}：{adj.get_status_display()}")


@cli.command()
@click.argument("programme_code")
@click.option("--as", "username")
def offers(programme_code: str, username: str | None) -> None:
    """免申即享：按已登记数据为符合条件的企业生成兑现要约（同一事项只办理一件）。"""
    setup_django()
    from srdi.services.programmes import ProgrammeError, generate_offers

    try:
        summary = generate_offers(_programme(programme_code), actor=_user(username) if username else None)
    except ProgrammeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.message)
    for line in summary.held:
        click.echo(f"  {line}")


@cli.group()
def account() -> None:
    """收款账户更正（拨付失败或银行退回后），须另一人确认。"""


@account.command(name="request")
@click.argument("case_id", type=int)
@click.option("--name", "account_name", required=True, help="开户名")
@click.option("--bank", "bank_name", required=True, help="开户行")
@click.option("--number", "account_number", required=True, help="银行账号")
@click.option("--note", default="")
@click.option("--as", "username", required=True)
def account_request(
    case_id: int, account_name: str, bank_name: str, account_number: str, note: str, username: str
) -> None:
    """企业或区县提出收款账户更正。"""
    setup_django()
    from srdi.services.bank_accounts import AccountChangeError, request_change

    try:
        change = request_change(
            case_id,
            _user(username),
            account_name=account_name,
            bank_name=bank_name,
            account_number=account_number,
            note=note,
        )
    except AccountChangeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"账户更正 #{change.pk} 已提交，待另一人确认")


@account.command(name="decide")
@click.argument("change_id", type=int)
@click.option("--confirm/--refuse", required=True)
@click.option("--reason", default="")
@click.option("--as", "username", required=True)
def account_decide(change_id: int, confirm: bool, reason: str, username: str) -> None:
    """确认或退回收款账户更正（提出人不能确认自己的更正）。"""
    setup_django()
    from srdi.services.bank_accounts import AccountChangeError, decide_change

    try:
        change = decide_change(change_id, _user(username), confirm=confirm, reason=reason)
    except AccountChangeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"账户更正 #{change.pk}：{change.get_status_display()}")


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


@payments.command(name="return")
@click.argument("payment_id", type=int)
@click.option("--reason", required=True, help="银行退回原因")
@click.option("--as", "username", required=True)
def payments_return(payment_id: int, reason: str, username: str) -> None:
    """登记银行退回：冲销该笔拨付，事项转为拨付失败，待账户更正确认后重新拨付。"""
    setup_django()
    from srdi.services.cases import TransitionRefused
    from srdi.services.payments import PaymentConflict, record_bank_return

    try:
        returned = record_bank_return(payment_id, _user(username), reason=reason)
    except (PaymentConflict, TransitionRefused) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已登记拨付 #{payment_id} 的银行退回（冲销分录 #{returned.entry_id}）")


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
