"""The policy pages: the catalogue of measures, one measure with its claim guide, what a pack still lacks, and the
cost simulation.

The catalogue, the measure pages and the 尚缺信息 page of a pack (unset parameters, values from secondary or
unconfirmed sources, parts of the text not yet found) describe the packs in force
(``services.parameters.packs_in_force``: the shipped YAML with every approved parameter change laid over it, each
changed value shown with its version and document) and are open to every signed-in role. The simulation costs
a pack over every recorded event of the whole city (``services.simulation.simulate_policy``, the code of
``srdi simulate``), so only city staff and administrators, finance and auditors may run it; anyone else is
refused through ``web.access.require`` (audited 403). Every page only reads: GET only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from srdi.db.models import User
from srdi.domain.digits import is_digits
from srdi.domain.policy.hygiene import expiry_warnings
from srdi.domain.policy.model import Pack
from srdi.domain.policy.params import OverrideError, ParamSet
from srdi.services.parameters import approved_entries, packs_in_force, parameter_set_label
from srdi.services.simulation import simulate_policy
from srdi.web import policy_display as pd
from srdi.web.access import require

MAX_QUERY = 100
MAX_OVERRIDES = 10
MIN_OVERRIDE_ROWS = 3


def _documents() -> dict[str, str]:
    """The document (文号 and article) of each approved change, by its version."""
    return {e.version: e.document for e in approved_entries()}


def _pack_or_404(pack_id: str) -> Pack:
    pack = next((p for p in packs_in_force() if p.id == pack_id), None)
    if pack is None:
        raise Http404("没有这个政策包")
    return pack


@login_required
@require_GET
def policy_catalogue(request: HttpRequest) -> HttpResponse:
    """Every pack (document, window, 有效/已到期) and its measures, filterable by kind and text."""
    kind = request.GET.get("kind", "")
    if kind not in pd.KIND_LABELS:
        kind = ""
    q = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    today = timezone.localdate()
    packs = packs_in_force()
    items = pd.catalogue(packs, today, kind=kind, q=q)
    return render(
        request,
        "web/policy/catalogue.html",
        {
            "items": items,
            "kind": kind,
            "q": q,
            "kinds": pd.KIND_LABELS,
            "kind_classes": pd.KIND_CLASSES,
            "today": today,
            "warnings": expiry_warnings(packs, today),
            "filtered": bool(kind or q),
            "shown": sum(i["shown"] for i in items),
            "total": sum(len(i["cards"]) for i in items),
            "can_simulate": bool(pd.can_simulate(request.user)),  # type: ignore[arg-type]
        },
    )


@login_required
@require_GET
def policy_measure(request: HttpRequest, pack: str, article: int) -> HttpResponse:
    """One measure: conditions, the amount rule, its parameters with references, overlap and the 申兑指南."""
    p = _pack_or_404(pack)
    try:
        measure = p.measure(article)
    except KeyError:
        raise Http404(f"{p.document} 没有第{article}条") from None
    return render(
        request,
        "web/policy/measure.html",
        pd.measure_view(p, measure, timezone.localdate(), packs_in_force(), _documents()),
    )


@login_required
@require_GET
def policy_gaps(request: HttpRequest, pack: str) -> HttpResponse:
    """What a pack still lacks: unset parameters with their references, secondary or unconfirmed values, and the
    parts of its text not yet found."""
    p = _pack_or_404(pack)
    today = timezone.localdate()
    return render(
        request,
        "web/policy/gaps.html",
        {**pd.pack_gaps(p, today, _documents()), "state": pd.pack_state(p, today), "today": today},
    )


def _override_rows(request: HttpRequest) -> list[dict[str, str]]:
    ids = request.GET.getlist("param")[:MAX_OVERRIDES]
    values = request.GET.getlist("value")[:MAX_OVERRIDES]
    values += [""] * (len(ids) - len(values))
    ids += [""] * (len(values) - len(ids))
    rows = [
        {"param": i.strip()[:MAX_QUERY], "value": v.strip()[:MAX_QUERY]}
        for i, v in zip(ids, values, strict=True)
    ]
    return [r for r in rows if r["param"] or r["value"]]


def _blank_rows(filled: int) -> int:
    return 0 if filled >= MAX_OVERRIDES else max(1, MIN_OVERRIDE_ROWS - filled)


def _read_overrides(pack: Pack, rows: list[dict[str, str]]) -> tuple[list[pd.Override], list[str]]:
    overrides: list[pd.Override] = []
    errors: list[str] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        pid, raw = row["param"], row["value"]
        if not pid and not raw:
            continue
        if not pid or not raw:
            errors.append(f"第{n}行：请同时填写参数编号和取值")
            continue
        if pid in seen:
            errors.append(f"第{n}行：参数 {pid} 重复填写")
            continue
        seen.add(pid)
        try:
            override = pd.parse_override(pack.parameters, pid, raw)
            ParamSet.for_run((pack,), {override.pid: override.value})
        except pd.OverrideInputError as exc:
            errors.append(f"第{n}行：{exc}")
            continue
        except OverrideError as exc:
            errors.append(f"第{n}行：{exc.key}：{exc.reason}")
            continue
        overrides.append(override)
    return overrides, errors


@login_required
@require_GET
def policy_simulation(request: HttpRequest) -> HttpResponse:
    """政策成本测算: one year's recorded events costed city-wide, optionally with parameters changed."""
    user: User = request.user  # type: ignore[assignment]
    require(pd.can_simulate(user), request, what="policy_simulation")
    packs = packs_in_force()
    pack = next((p for p in packs if p.id == request.GET.get("policy")), packs[0])
    errors: list[str] = []
    year_text = request.GET.get("year") or str(pd.SIMULATION_YEARS[-1])
    year = (
        int(year_text)
        if is_digits(year_text) and len(year_text) <= 4 and int(year_text) in pd.SIMULATION_YEARS
        else 0
    )
    if not year:
        errors.append(f"测算年度可选 {'、'.join(str(y) for y in pd.SIMULATION_YEARS)}")
        year = pd.SIMULATION_YEARS[-1]
    rows = _override_rows(request)
    overrides, override_errors = _read_overrides(pack, rows)
    errors += override_errors
    apply = {o.pid: o.value for o in overrides} if overrides and not override_errors else None
    context: dict[str, Any] = {
        "packs": packs,
        "pack": pack,
        "years": pd.SIMULATION_YEARS,
        "year": year,
        "rows": rows + [{"param": "", "value": ""}] * _blank_rows(len(rows)),
        "overrides": overrides if apply else [],
        "errors": errors,
        "parameters": [
            {
                "id": pid,
                "label": param.label,
                "unit": pd.UNIT_LABELS.get(param.unit, param.unit),
                "value": pd.format_value(pd.latest_value(param), param.unit),
            }
            for pid, param in pack.parameters.items()
        ],
        "result": None,
        "parameter_set": parameter_set_label(),
    }
    try:
        base, changed, diff = simulate_policy(pack.id, year, apply)
    except OverrideError as exc:
        errors.append(f"{exc.key}：{exc.reason}")
        base, changed, diff = simulate_policy(pack.id, year, None)
        context["overrides"] = []
    except ValueError as exc:
        errors.append(str(exc))
        return render(request, "web/policy/simulation.html", context)
    context["result"] = pd.simulation_view(pack, year, base, changed, diff)
    return render(request, "web/policy/simulation.html", context)
