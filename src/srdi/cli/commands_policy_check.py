"""``srdi policy check`` (pack and rulebook hygiene, for a deployment's CI) and ``srdi policy diff A B``.

``check`` prints the findings of ``services.policy_hygiene.policy_check`` grouped by pack and rulebook and exits 1
when any is BLOCKING (a pack in force lacks a money value that an open programme needs), 0 otherwise. ``diff``
prints ``domain.policy.compare.compare`` of two packs as in force and exits 0 when they do not differ, 1 when
they do, 2 for an unknown pack (like ``diff``).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

import click

from srdi.cli.commands_policy import KIND_ZH, policy
from srdi.cli.main import setup_django


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else date.today()  # noqa: DTZ011 - calendar date of the operator


@policy.command(name="check")
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="判断日期（默认今天）"
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def policy_check(on: datetime | None, as_json: bool) -> None:
    """政策包体检：各政策包和规则库的有效期、状态、未设定参数、待确认取值、缺少用例的措施和即将到期的取值。

    有阻断问题（有效政策包中，未结束的申报批次所需的资金参数未设定）时退出码为 1。"""
    setup_django()
    from srdi.domain.policy.hygiene import Severity
    from srdi.services.policy_hygiene import policy_check as run_check

    report = run_check(_day(on))
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"政策包体检：{report.day}（到期提醒：{report.horizon_days} 天内）")
        for source in report.sources:
            counts = " · ".join(f"{s.label} {n}" for s, n in source.counts.items())
            click.echo(
                f"\n{source.id}  {source.name}\n  状态：{source.window.status.label}"
                f"{'（有效期待公布）' if source.window.window_unset else ''}  有效期 {source.window.text()}  {counts}"
            )
            for f in source.findings:
                click.echo(f"  [{f.severity.label}] {f.kind.label}：{f.message}")
        blocking = report.blocking
        if blocking:
            click.echo(f"\n结论：有 {len(blocking)} 项阻断问题，须先设定相关参数", err=True)
        else:
            click.echo(
                f"\n结论：没有阻断问题（警告 {sum(s.count(Severity.WARNING) for s in report.sources)} 项）"
            )
    sys.exit(0 if report.ok else 1)


def _events(kinds: tuple[str, ...]) -> str:
    from srdi.domain.policy.labels import EVENT_LABELS

    return "、".join(f"{EVENT_LABELS.get(k, k)}（{k}）" for k in kinds)


@policy.command(name="diff")
@click.argument("pack_a")
@click.argument("pack_b")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def policy_diff(pack_a: str, pack_b: str, as_json: bool) -> None:
    """逐条对比两个政策包（如 hz81 hz25）：新增、取消的措施，金额、上限、条件和触发事件的变化。

    退出码：0 无差异，1 有差异，2 政策包不存在。"""
    setup_django()
    from srdi.domain.policy.compare import compare
    from srdi.services.parameters import packs_in_force

    packs = {p.id: p for p in packs_in_force()}
    for pid in (pack_a, pack_b):
        if pid not in packs:
            raise click.UsageError(f"未知政策包 {pid!r}（可选 {', '.join(packs)}）")
    diff = compare(packs[pack_a], packs[pack_b])
    if as_json:
        click.echo(json.dumps(diff.as_json(), ensure_ascii=False, indent=2))
        sys.exit(0 if diff.identical else 1)
    click.echo(f"{pack_a} → {pack_b}（取值：{pack_a} 按 {diff.a_on}，{pack_b} 按 {diff.b_on}）")
    if diff.identical:
        click.echo("两个政策包的措施、金额、上限和条件相同")
        sys.exit(0)
    if diff.added:
        click.echo(f"\n新增措施（仅 {pack_b} 有）：")
        for m in diff.added:
            click.echo(f"  + {m.id} {m.label} {m.title}")
    if diff.removed:
        click.echo(f"\n{pack_b} 中没有对应的措施：")
        for m in diff.removed:
            click.echo(f"  - {m.id} {m.label} {m.title}")
        if diff.b_incomplete:
            click.echo(f"  注意：{pack_b} 尚有未查得的内容，这些措施不一定已取消")
    how = {"article": "按条款号", "overlap": "按重叠组", "events": "按触发事件", "title": "按标题相似"}
    for p in diff.changed:
        click.echo(f"\n  ~ {p.a.id} {p.a.label} → {p.b.id} {p.b.label}（{how[p.matched_by]}匹配）")
        if p.title:
            click.echo(f"      标题：{p.title[0]} → {p.title[1]}")
        if p.kinds_added or p.kinds_removed:
            added = "、".join(KIND_ZH.get(k, k) for k in p.kinds_added)
            removed = "、".join(KIND_ZH.get(k, k) for k in p.kinds_removed)
            click.echo(
                f"      类型：{'新增 ' + added if added else ''}{' 取消 ' + removed if removed else ''}".rstrip()
            )
        if p.events_added:
            click.echo(f"      新增触发事件：{_events(p.events_added)}")
        if p.events_removed:
            click.echo(f"      取消触发事件：{_events(p.events_removed)}")
        if p.amount_kind:
            click.echo(f"      金额计算方式：{p.amount_kind[0] or '—'} → {p.amount_kind[1] or '—'}")
        for v in (*p.amounts, *p.caps):
            if v.changed:
                click.echo(
                    f"      {v.label}：{v.a_text}（{v.a_param or '—'}） → {v.b_text}（{v.b_param or '—'}）"
                )
        if p.cap_text:
            click.echo(f"      上限说明：{p.cap_text[0] or '—'} → {p.cap_text[1] or '—'}")
        for c in p.conditions:
            word = {"added": "新增", "removed": "取消", "changed": "变化"}[c.change]
            click.echo(f"      条件 {c.id}（{word}）：{c.b_label or c.a_label}")
            for d in c.details:
                click.echo(f"        {d}")
    same = [p for p in diff.pairs if not p.changed]
    if same:
        click.echo(f"\n未变化的措施：{'、'.join(f'{p.a.id}→{p.b.id}' for p in same)}")
    sys.exit(1)
