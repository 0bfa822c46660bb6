"""``srdi policy`` (what the packs say), ``srdi lpr`` (the LPR reference table) and ``srdi simulate``."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import click

from srdi.cli.main import cli, setup_django
from srdi.cli.progress import console
from srdi.domain.beijing_time import format_beijing
from srdi.domain.money import format_wan

KIND_ZH = {"money": "资金", "qualification": "资格/优先", "target": "目标", "service": "服务"}


@cli.group()
def policy() -> None:
    """政策包：措施、参数与引用。"""


@policy.command(name="list")
@click.option("--pack", default=None, help="只列出该政策包（默认全部）")
def policy_list(pack: str | None) -> None:
    """列出各政策包的全部措施（现行取值：含经批准的参数调整及其版本、依据文件）。"""
    setup_django()
    from srdi.domain.policy.hygiene import expiry_warnings
    from srdi.domain.policy.params import ParamSet
    from srdi.domain.rules.parameters import to_json
    from srdi.services.parameters import approved_entries, packs_in_force, parameter_set_label

    packs = packs_in_force()
    entries = approved_entries()
    click.echo(f"参数：{parameter_set_label()}")
    for p in packs:
        if pack and p.id != pack:
            continue
        start, end = ParamSet.for_run((p,)).window(p)
        window = f"有效期 {start or '待公布'} 至 {end or '待公布'}"
        click.echo(f"{p.id}  {p.document}《{p.title}》（{p.issued} 印发）  {window}")
        if p.unknown:
            click.echo(f"  尚未查得：{'；'.join(u.item for u in p.unknown)}")
        for e in entries:
            if e.pid in p.parameters:
                param = p.parameters[e.pid]
                period = f"{e.start} 起" + (f"至 {e.end}" if e.end else "")
                click.echo(
                    f"  参数调整 {e.version}：{e.pid} = {_fmt_value(to_json(e.value), param.unit)}"
                    f"（{period}；{e.document}）"
                )
        for m in p.measures:
            kinds = "、".join(KIND_ZH[k] for k in m.kinds)
            trigger = f"  事件：{', '.join(m.events)}" if m.events else ""
            click.echo(f"  {m.id:<9} {m.label} {m.title}（{kinds}）{trigger}")
    for w in expiry_warnings(packs, date.today()):  # noqa: DTZ011 - calendar date of the operator
        click.echo(f"注意：{w}", err=True)


def _fmt_value(value: Any, unit: str) -> str:
    if value is None:
        return "未设定（amount_unset）"
    if unit == "fen":
        return f"{value} 分（{format_wan(value)}）"
    if unit == "ratio":
        return f"{value}（{format((Decimal(value) * 100).normalize(), 'f')}%）"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


DEFAULT_PACK = "hz81"


@policy.command(name="show")
@click.argument("measure_id")
@click.option(
    "--pack", "pack_id_option", default=DEFAULT_PACK, show_default=True, help="只写条款号时所属的政策包"
)
@click.option("--on", "on_text", default=None, help="显示该日（YYYY-MM-DD）适用的参数取值，默认今天")
def policy_show(measure_id: str, pack_id_option: str, on_text: str | None) -> None:
    """显示一条措施（如 hz81.9、hz25.2，或只写条款号 9）：条件、金额、上限、参数（某日适用的取值、出处与调整历史）、
    申兑指南。"""
    from srdi.domain.digits import is_digits
    from srdi.domain.policy.loader import load_packs
    from srdi.domain.rules.parameters import STATUSES

    try:
        on = date.fromisoformat(on_text.strip()) if on_text else date.today()  # noqa: DTZ011 - operator's date
    except ValueError:
        raise click.BadParameter(f"{on_text!r}：日期格式应为 YYYY-MM-DD", param_hint="--on") from None
    text = measure_id.strip()
    if is_digits(text):
        pack_id, article = pack_id_option, text
    else:
        pack_id, _, article = text.partition(".")
    pack = next((p for p in load_packs() if p.id == pack_id), None)
    if pack is None or not is_digits(article) or len(article) > 3:
        raise click.ClickException(f"未知措施 {measure_id!r}（格式如 hz81.9，或只写条款号 9）")
    try:
        m = pack.measure(int(article))
    except KeyError:
        raise click.ClickException(f"{pack_id} 没有第{article}条") from None
    click.echo(f"{m.id}  {m.reference}  {m.title}")
    if pack.source_status != "official":
        click.echo(f"来源：{STATUSES.get(pack.source_status, pack.source_status)}")
    click.echo(f"类型：{'、'.join(KIND_ZH[k] for k in m.kinds)}")
    click.echo(f"内容：{m.summary}")
    click.echo(f"对象：{m.who}")
    if m.amount_text:
        click.echo(f"金额：{m.amount_text}")
    if m.cap_text:
        click.echo(f"上限：{m.cap_text}")
    click.echo(f"责任单位：{'、'.join(m.responsible)}")
    if m.events:
        click.echo(f"触发事件：{', '.join(m.events)}")
    for c in m.conditions:
        click.echo(f"  条件 {c.id}：{c.label}")
    if m.standing:
        for c in m.standing.conditions:
            click.echo(f"  {'无事件时的条件' if m.conditions else '条件'} {c.id}：{c.label}")
        for c in m.standing.parts:
            click.echo(f"  其中 {c.id}：{c.label}（不影响整条措施的结论）")
    ids = set()
    if m.amount:
        ids.update(m.amount.parameter_ids())
    ids.update(c.param for c in m.conditions if c.param)
    if m.standing:
        ids.update(m.standing.amount_params)
        ids.update(c.param for c in (*m.standing.conditions, *m.standing.parts) if c.param)
    if m.annual_cap:
        ids.add(m.annual_cap.param)
    if m.annual_quota:
        ids.add(m.annual_quota)
    if m.selection_quota:
        ids.add(m.selection_quota.param)
    ids.update(pid for pid in pack.parameters if pid.startswith(f"{m.id}."))
    if ids:
        setup_django()
        click.echo(f"参数（{on} 适用的取值及调整历史）：")
    for pid in sorted(ids):
        _show_parameter(pid, pack.parameters[pid], on)
    if m.overlap:
        click.echo(
            f"从优就高不重复：同一事项组 {m.overlap.group}（按 {', '.join(m.overlap.matter) or '企业'} 识别）"
        )
    if m.guide:
        click.echo(f"申兑材料：{'；'.join(m.guide.get('data', []))}")
        click.echo(f"审核：{m.guide.get('decides', '')}；时间：{m.guide.get('timeline', '')}")


def _period_text(start: date, end: date | None) -> str:
    return f"{start} 起" + (f"至 {end}" if end else "")


def _show_parameter(pid: str, param: Any, on: date) -> None:
    """One parameter of ``srdi policy show``: the value in force on ``on``, then the YAML periods and every change."""
    from srdi.domain.rules.parameters import STATUSES, to_json
    from srdi.services.parameter_history import parameter_history, value_in_force

    resolved = value_in_force(pid, on)
    history = parameter_history(pid)
    status = "" if param.status == "official" else f"；{STATUSES.get(param.status, param.status)}"
    if resolved is None:
        shown, source = "该日无取值（未设定）", ""
    else:
        shown = _fmt_value(to_json(resolved.value), param.unit)
        period = _period_text(resolved.effective_from, resolved.effective_to)
        source = f"；{resolved.version}（已批准的参数调整）" if resolved.version else f"；基线{status}"
        source = f"  [{param.reference}；{period}{source}]"
    click.echo(f"  参数 {pid} = {shown}{source}  {param.label}")
    if history is None:
        return
    for row in history.baseline:
        click.echo(f"      基线   {_period_text(row.start, row.end)}  {_fmt_value(row.value, param.unit)}")
    for row in history.changes:
        decided = ""
        if row.decided_by and row.decided_at is not None:
            verb = "批准" if row.status == "approved" else "决定"
            decided = f"；{row.decided_by} {format_beijing(row.decided_at)} {verb}"
            if row.decision_reason:
                decided += f"（{row.decision_reason}）"
        origin = f"（来源 {row.source_version}）" if row.source_version else ""
        proposed = f"{row.proposed_by} {format_beijing(row.proposed_at)} 提出" if row.proposed_at else ""
        click.echo(
            f"      {row.version}{origin} [{row.status_label}] {_period_text(row.start, row.end)}  "
            f"{_fmt_value(row.value, param.unit)}  依据 {' '.join(x for x in (row.document, row.article) if x)}；"
            f"{proposed}{decided}"
        )


@cli.group()
def lpr() -> None:
    """1年期贷款市场报价利率（LPR）参考表。"""


@lpr.command(name="show")
def lpr_show() -> None:
    """显示当前使用的LPR表（文件中的各期，加上经批准的各期及其版本）。"""
    setup_django()
    from srdi.services.lpr import refresh

    for r in refresh():
        click.echo(
            f"{r.released_on}  {r.one_year_percent:.2f}%" + (f"  （{r.version}）" if r.version else "")
        )


@lpr.command(name="set", hidden=True)
@click.argument("args", nargs=-1)
def lpr_set(args: tuple[str, ...]) -> None:
    """已停用：新一期LPR须经双人复核，请用 srdi lpr propose。"""
    raise click.ClickException(
        "srdi lpr set 已停用：新一期LPR须由一人提出、另一名市经信局管理员批准后生效。请用 "
        "srdi lpr propose 日期 百分比 --document 依据 --user 用户名，再由另一人 srdi policy approve 编号 --user 用户名"
    )


def _parse_sets(values: tuple[str, ...], policy_id: str) -> dict[str, Any]:
    """``id=value`` pairs, each value read by its parameter's unit (金额 as 分 or with 万/亿, 比例 as 0.15 or 15%,
    counts as integers, lists separated by commas). An unknown id is passed on for the engine to refuse."""
    from srdi.domain.policy.loader import load_packs
    from srdi.domain.policy.params import OverrideError, parse_text

    params: dict[str, Any] = {}
    for p in load_packs():
        if p.id == policy_id:
            params.update(p.parameters)
    out: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.ClickException(f"--set 的格式应为 参数编号=取值：{item!r}")
        if key in out:
            raise click.ClickException(f"--set {key}：重复设置")
        if key not in params:
            out[key] = value.strip()
            continue
        try:
            out[key] = parse_text(key, params[key], value)
        except OverrideError as exc:
            raise click.ClickException(f"--set {exc.key}：{exc.reason}") from None
    return out


@cli.command()
@click.option("--policy", "policy_id", default="hz81", show_default=True)
@click.option("--year", type=int, required=True, help="统计该年度发生的事件")
@click.option("--set", "sets", multiple=True, help="修改参数后比较（可多次），如 --set hz81.9.rate.key=0.15")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def simulate(policy_id: str, year: int, sets: tuple[str, ...], as_json: bool) -> None:
    """政策成本测算：按数据库中已登记的事件计算某年度的兑现总额（按措施、区县、市区分担）。"""
    setup_django()
    from srdi.domain.policy.params import OverrideError
    from srdi.domain.reference import district_name
    from srdi.domain.rules.parameters import to_json
    from srdi.services.parameters import approved_entries, parameter_set_label
    from srdi.services.simulation import simulate_policy

    overrides = _parse_sets(sets, policy_id)
    try:
        with console.status(f"正在测算 {policy_id} {year} 年度……"):
            base, changed, diff = simulate_policy(policy_id, year, overrides or None)
    except OverrideError as exc:
        raise click.ClickException(f"--set {exc.key}：{exc.reason}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        out = {
            "policy": policy_id,
            "year": year,
            "events": base.events,
            "totals": base.totals,
            "by_measure": base.by_measure.to_dicts(),
            "by_district": base.by_district.to_dicts(),
        }
        out["warnings"] = base.warnings
        out["parameter_set"] = parameter_set_label()
        out["parameter_versions"] = [e.version for e in approved_entries()]
        if changed is not None:
            out.update(
                {
                    "changed_totals": changed.totals,
                    "difference": diff,
                    "parameters": {k: to_json(v) for k, v in overrides.items()},
                    "changed_warnings": changed.warnings,
                }
            )
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    t = base.totals
    click.echo(
        f"{policy_id} {year} 年度：事件 {base.events} 个，兑现 {t['grants']} 项，合计 {format_wan(t['amount_fen'])}"
        f"（市级 {format_wan(t['city_fen'])}，区县 {format_wan(t['district_fen'])}）；"
        f"金额待定 {t['amount_unset']} 项"
        + (f"；政策有效期待公布 {t['window_unset']} 项" if t.get("window_unset") else "")
    )
    click.echo(f"所用参数：{parameter_set_label()}")
    click.echo("按措施：")
    for r in base.by_measure.iter_rows(named=True):
        click.echo(f"  第{r['article']}条 {r['grants']:>6} 项  {format_wan(r['amount_fen'])}")
    click.echo("按区县：")
    for r in base.by_district.iter_rows(named=True):
        click.echo(
            f"  {district_name(r['district']):<6} {r['grants']:>6} 项  {format_wan(r['amount_fen'])}"
            f"（市级 {format_wan(r['city_fen'])}）"
        )
    for w in base.warnings:
        click.echo(f"注意：{w}")
    if changed is not None and diff is not None:
        shown = ", ".join(f"{k}={to_json(v)}" for k, v in overrides.items())
        d = diff["overall"]
        click.echo(
            f"参数调整 {shown} 后：合计 {format_wan(changed.totals['amount_fen'])}，"
            f"变化 {'+' if d['amount_fen'] >= 0 else ''}{format_wan(d['amount_fen'])}"
        )
        for r in diff["by_measure"]:
            click.echo(f"  第{r['article']}条 变化 {format_wan(r['amount_fen'])}（{r['grants']:+d} 项）")
        for w in changed.warnings:
            click.echo(f"注意（调整后）：{w}")
