"""政策对比: two packs side by side, measure by measure (``policy/compare/?a=hz81&b=hz25``).

The page shows ``domain.policy.compare.compare`` of the packs as in force (``packs_in_force``), the same report
as ``srdi policy diff A B``: new measures, measures without a counterpart, and for matched measures the changes
in amounts and caps (万元 / %), conditions, event kinds and kinds. Like the catalogue, it is open to every
signed-in user. GET only.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from srdi.domain.policy.compare import compare
from srdi.services.parameters import packs_in_force
from srdi.web import policy_display as pd

MATCHED_BY = {"article": "条款号相同", "overlap": "同一重叠组", "events": "触发事件相同", "title": "标题相近"}
CHANGE_LABELS = {"added": "新增", "removed": "取消", "changed": "变化"}


@login_required
@require_GET
def policy_compare(request: HttpRequest) -> HttpResponse:
    """Choose two packs (the first two by adoption by default) and list what changed from A to B."""
    packs = packs_in_force()
    by_id = {p.id: p for p in packs}
    default_a = packs[0].id
    default_b = packs[1].id if len(packs) > 1 else packs[0].id
    a_id = request.GET.get("a") or default_a
    b_id = request.GET.get("b") or default_b
    errors = [f"没有政策包 {x[:30]}" for x in (a_id, b_id) if x not in by_id]
    if errors:
        a_id, b_id = default_a, default_b
    diff = compare(by_id[a_id], by_id[b_id])
    pairs = [
        {
            "p": p,
            "matched_by": MATCHED_BY[p.matched_by],
            "a_url": pd.measure_url(p.a),
            "b_url": pd.measure_url(p.b),
            "kinds_added": [pd.KIND_LABELS.get(k, k) for k in p.kinds_added],
            "kinds_removed": [pd.KIND_LABELS.get(k, k) for k in p.kinds_removed],
            "events_added": [pd.event_label(k) for k in p.events_added],
            "events_removed": [pd.event_label(k) for k in p.events_removed],
            "values": [
                {"v": v, "a": pd.format_value(v.a_value, v.unit), "b": pd.format_value(v.b_value, v.unit)}
                for v in (*p.amounts, *p.caps)
            ],
            "values_changed": any(v.changed for v in (*p.amounts, *p.caps)),
            "conditions": [{"c": c, "label": CHANGE_LABELS[c.change]} for c in p.conditions],
        }
        for p in diff.changed
    ]
    return render(
        request,
        "web/policy/compare.html",
        {
            "packs": packs,
            "a": diff.a,
            "b": diff.b,
            "a_name": pd.pack_name(diff.a),
            "b_name": pd.pack_name(diff.b),
            "diff": diff,
            "errors": errors,
            "pairs": pairs,
            "added": [{"m": m, "url": pd.measure_url(m)} for m in diff.added],
            "removed": [{"m": m, "url": pd.measure_url(m)} for m in diff.removed],
            "unchanged": [p for p in diff.pairs if not p.changed],
        },
    )
