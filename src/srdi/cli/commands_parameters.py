"""``srdi policy propose / approve / reject / withdraw / changes / export-params / import-params`` and ``srdi lpr
propose``: parameter governance from the command line.

Each command acts as the user named by ``--user`` (as ``srdi budget`` does with ``--as``, which is accepted too) and
calls ``srdi.services.parameters`` (or ``parameter_sets``); the service checks the rights and the second person,
and its message is printed when it refuses (exit code 1).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from srdi.cli.commands_policy import lpr, policy
from srdi.cli.main import setup_django


def _user(username: str):  # type: ignore[no-untyped-def]
    from srdi.db.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在或已停用")
    return user


def _day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}：日期格式应为 YYYY-MM-DD", param_hint=option) from None


user_option = click.option("--user", "--as", "username", required=True, help="操作人用户名")


def _propose(
    username: str,
    pid: str,
    value: str,
    start: date,
    end: date | None,
    document: str,
    article: str,
    reason: str,
    attach: Path | None,
) -> None:
    from srdi.services.parameters import Attachment, ParameterChangeError, propose

    attachment = Attachment(attach.name, attach.read_bytes()) if attach is not None else None
    try:
        change = propose(
            _user(username),
            pid=pid,
            value=value,
            as_text=True,
            effective_from=start,
            effective_to=end,
            document=document,
            article=article,
            reason=reason,
            attachment=attachment,
        )
    except ParameterChangeError as exc:
        raise click.ClickException(str(exc)) from None
    who = "市经信局管理员" if change.moves_money else "另一名有权限的人员"
    click.echo(f"参数调整 {change.version}（#{change.pk}）已提出：{pid}，待{who}审批")
    _show_effect(change, _user(username))


def _show_effect(change, user) -> None:  # type: ignore[no-untyped-def]
    """Compute (while undecided) and print the simulated effect of a change, year by year."""
    from srdi.domain.money import format_wan
    from srdi.services.parameter_effect import Effect, refresh_effect
    from srdi.services.parameters import ParameterChangeError

    try:
        effect = (
            refresh_effect(change, user) if change.status == "proposed" else Effect.from_json(change.effect)
        )
    except ParameterChangeError as exc:
        raise click.ClickException(str(exc)) from None
    if effect is not None and effect.note:
        click.echo(f"测算影响：{effect.note}")
        return
    if effect is None or not effect.years:
        click.echo("测算影响：所涉年度没有已登记的事件（或该参数不能预先测算）")
        return
    for y in effect.years:
        d = y.difference
        click.echo(
            f"测算影响 {y.year}年（{y.events} 个事件）：合计 {format_wan(d.amount_fen)}（市级 {format_wan(d.city_fen)}，"
            f"区县 {format_wan(d.district_fen)}），增加 {y.gainers} 家、减少 {y.losers} 家"
        )
    if effect.years_left_out:
        click.echo(f"未测算的年度：{'、'.join(str(y) for y in effect.years_left_out)}")


attach_option = click.option(
    "--attach", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="依据文件（附件）"
)


@policy.command(name="propose")
@click.argument("pid")
@click.argument("value")
@click.option("--from", "start", required=True, help="生效日期 YYYY-MM-DD")
@click.option("--to", "end", default=None, help="失效日期（含当日；不填为长期）")
@click.option("--document", required=True, help="依据文件文号")
@click.option("--article", default="", help="条款")
@click.option("--reason", required=True, help="调整理由")
@user_option
@attach_option
def policy_propose(
    pid: str,
    value: str,
    start: str,
    end: str | None,
    document: str,
    article: str,
    reason: str,
    username: str,
    attach: Path | None,
) -> None:
    """提出一项政策参数调整（如 srdi policy propose hz81.7.scene_amount 40万 --from 2026-01-01 …），待另一人审批。

    取值按参数单位读取：金额写分或带万/亿，比例写 0.15 或 15%，列表以逗号分隔，分档表/对照表写 YAML 或 JSON。"""
    setup_django()
    day = _day("--from", start)
    assert day is not None
    _propose(username, pid, value, day, _day("--to", end), document, article, reason, attach)


def _decide(change_id: int, username: str, *, approve: bool, reason: str) -> None:
    from srdi.services.parameters import ParameterChangeError, decide

    try:
        change = decide(change_id, _user(username), approve=approve, reason=reason)
    except ParameterChangeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"参数调整 {change.version}（{change.parameter}）：{change.get_status_display()}")
    _show_effect(change, _user(username))


@policy.command(name="approve")
@click.argument("change_id", type=int)
@user_option
@click.option("--reason", default="", help="审批意见")
def policy_approve(change_id: int, username: str, reason: str) -> None:
    """批准一项参数调整（提出人不能批准自己的调整；涉及资金的由市经信局管理员批准）。"""
    setup_django()
    _decide(change_id, username, approve=True, reason=reason)


@policy.command(name="reject")
@click.argument("change_id", type=int)
@user_option
@click.option("--reason", required=True, help="不予批准的理由")
def policy_reject(change_id: int, username: str, reason: str) -> None:
    """不予批准一项参数调整（须写明理由）。"""
    setup_django()
    _decide(change_id, username, approve=False, reason=reason)


@policy.command(name="withdraw")
@click.argument("change_id", type=int)
@user_option
def policy_withdraw(change_id: int, username: str) -> None:
    """提出人撤回尚未审批的参数调整。"""
    setup_django()
    from srdi.services.parameters import ParameterChangeError, withdraw

    try:
        change = withdraw(change_id, _user(username))
    except ParameterChangeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"参数调整 {change.version}（{change.parameter}）：{change.get_status_display()}")


@policy.command(name="changes")
@click.option(
    "--status",
    type=click.Choice(["proposed", "approved", "rejected", "withdrawn"]),
    default=None,
    help="只列出该状态",
)
@click.option("--pack", default=None, help="只列出该政策包（LPR 为 reference）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def policy_changes(status: str | None, pack: str | None, as_json: bool) -> None:
    """列出参数调整：版本、参数、取值、期间、依据、提出与审批。"""
    setup_django()
    from srdi.db.models import ParameterChange

    changes = ParameterChange.objects.select_related("proposed_by", "decided_by").order_by("id")
    if status:
        changes = changes.filter(status=status)
    if pack:
        changes = changes.filter(pack=pack)
    rows: list[dict[str, Any]] = [
        {
            "id": c.pk,
            "version": c.version,
            "source_version": c.source_version or None,
            "pack": c.pack,
            "parameter": c.parameter,
            "value": c.value,
            "effective_from": c.effective_from.isoformat(),
            "effective_to": c.effective_to.isoformat() if c.effective_to else None,
            "document": c.document,
            "article": c.article,
            "reason": c.reason,
            "moves_money": c.moves_money,
            "status": c.status,
            "proposed_by": c.proposed_by.username,
            "proposed_at": c.proposed_at.isoformat(),
            "decided_by": c.decided_by.username if c.decided_by else None,
            "decided_at": c.decided_at.isoformat() if c.decided_at else None,
            "decision_reason": c.decision_reason,
        }
        for c in changes
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        click.echo("没有参数调整")
        return
    labels = dict(ParameterChange.Status.choices)
    for r in rows:
        period = f"{r['effective_from']} 起" + (f"至 {r['effective_to']}" if r["effective_to"] else "")
        decided = f"；{r['decided_by']} 于 {r['decided_at'][:16]} 审批" if r["decided_by"] else ""
        click.echo(
            f"#{r['id']} {r['version']} [{labels[r['status']]}] {r['parameter']} = "
            f"{json.dumps(r['value'], ensure_ascii=False)}  {period}  依据 {r['document']} {r['article']}".rstrip()
            + f"；{r['proposed_by']} 于 {r['proposed_at'][:16]} 提出{decided}"
        )


@policy.command(name="export-params")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pack", default=None, help="只导出该政策包的参数（LPR 为 reference）")
@click.option("--status", type=click.Choice(["approved", "proposed"]), default="approved", show_default=True)
def policy_export_params(file: Path | None, pack: str | None, status: str) -> None:
    """把已批准的参数调整导出为参数集 YAML（格式同 policies/<pack>/parameters.yaml），不写文件名时输出到屏幕。"""
    setup_django()
    from srdi.services.parameter_sets import export_parameter_set
    from srdi.services.parameters import ParameterChangeError

    try:
        text = export_parameter_set(pack, status)
    except ParameterChangeError as exc:
        raise click.ClickException(str(exc)) from None
    if file is None:
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    click.echo(f"已导出到 {file}")


@policy.command(name="import-params")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@user_option
def policy_import_params(file: Path, username: str) -> None:
    """导入参数集 YAML：每个期间成为一项待审批的参数调整（已生效的相同取值跳过）；有任何错误则全部不导入。"""
    setup_django()
    from srdi.services.parameter_sets import import_parameter_set
    from srdi.services.parameters import ParameterChangeError

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}：应为 UTF-8 编码的 YAML 文件") from None
    try:
        result = import_parameter_set(text, _user(username))
    except ParameterChangeError as exc:
        raise click.ClickException(str(exc)) from None
    for change in result.proposed:
        click.echo(f"已提出 {change.version}（#{change.pk}）：{change.parameter} {change.effective_from} 起")
    for period in result.already_approved:
        click.echo(f"跳过（本系统已批准相同取值）：{period.describe()}")
    for period in result.already_proposed:
        click.echo(f"跳过（已有相同的待审批调整）：{period.describe()}")
    click.echo(
        f"共提出 {len(result.proposed)} 项，待审批；跳过已批准 {len(result.already_approved)} 项、"
        f"已提出 {len(result.already_proposed)} 项"
    )


@lpr.command(name="propose")
@click.argument("release_date")
@click.argument("percent")
@click.option("--document", required=True, help="依据（如 全国银行间同业拆借中心公告）")
@click.option("--article", default="", help="条款")
@click.option("--reason", default="新一期LPR发布", show_default=True, help="理由")
@user_option
@attach_option
def lpr_propose(
    release_date: str,
    percent: str,
    document: str,
    article: str,
    reason: str,
    username: str,
    attach: Path | None,
) -> None:
    """提出新一期（或更正一期）1年期LPR（如 srdi lpr propose 2026-01-20 3.00 …），经另一名管理员批准后生效。"""
    setup_django()
    from srdi.services.lpr import LPR_PID, as_ratio

    day = _day("RELEASE_DATE", release_date)
    assert day is not None
    _propose(username, LPR_PID, as_ratio(percent), day, None, document, article, reason, attach)
