"""Issue 14 acceptance: the effect shown before approval equals ``srdi simulate --set`` for the same change.

A few enterprises with recorded events in two districts (technical renovation, scenes, a technology transaction
whose reward ratio is still unset) are costed with a full-year change proposed through the service; the stored
effect is compared field by field — totals, by measure, by district — with ``srdi simulate --policy hz81
--year 2025 --set pid=value --json``. The gainers, losers, status moves and most affected enterprises are checked
against what the events imply.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from tests.conftest import make_uscc
from tests.integration.money.conftest import SRDI_CERT, renovation

from srdi.cli import commands_policy  # noqa: F401 - registers srdi simulate
from srdi.cli.main import cli
from srdi.db.models import AuditEvent, ParameterChange
from srdi.services.accounts import create_user
from srdi.services.imports import import_file
from srdi.services.parameter_effect import Effect, compute_effect, refresh_effect, years_touched
from srdi.services.parameters import ParameterChangeError, decide, propose

WEST_LAKE, BINJIANG = "330106", "330108"


def _enterprise(n: int, district: str, events: list[dict]) -> dict:
    return {
        "uscc": make_uscc(district),
        "name": f"杭州影响测算{n}有限公司",
        "district": district,
        "certifications": SRDI_CERT,
        "compliance": {"dishonest": False},
        "events": events,
    }


@pytest.fixture
def events(db):
    """2025: two renovations (key industry, 1000万 and 500万 eligible), one in each district; three scenes in
    滨江; a technology transaction in 西湖 (第6条 ratio unset → amount_unset). 2024: one renovation in 西湖."""
    profiles = [
        _enterprise(
            1,
            WEST_LAKE,
            [
                renovation("E-1", 1_000_000_000),
                renovation("E-0", 400_000_000, day="2024-05-06"),
                {"kind": "tech_transaction", "year": 2024, "amount_fen": 100_000_000, "date": "2025-01-20"},
            ],
        ),
        _enterprise(2, BINJIANG, [renovation("E-2", 500_000_000)]),
        _enterprise(
            3,
            BINJIANG,
            [{"kind": "scene_award", "scene_id": f"S{i}", "date": "2025-06-01"} for i in range(3)],
        ),
    ]
    assert import_file(json.dumps(profiles, ensure_ascii=False).encode(), "effect.json").ok
    return {
        "staff": create_user(username="eff_staff", password="x", role="city_staff", check_password=False),
        "admin": create_user(username="eff_admin", password="x", role="city_admin", check_password=False),
    }


def _cli(pid: str, text: str) -> dict:
    result = CliRunner().invoke(
        cli, ["simulate", "--policy", "hz81", "--year", "2025", "--set", f"{pid}={text}", "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _full_year(actor, pid: str, text: str) -> ParameterChange:
    return propose(
        actor,
        pid=pid,
        value=text,
        as_text=True,
        effective_from=date(2025, 1, 1),
        effective_to=date(2025, 12, 31),
        document="杭经信〔2025〕99号",
        reason="测算",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pid", "text"),
    [
        ("hz81.9.rate.key", "15%"),  # every renovation moves, in both districts
        ("hz81.7.scene_amount", "40万"),  # 滨江 only
        ("hz81.6.tech_transaction_ratio", "5%"),  # amount_unset → granted
        ("fiscal_share.330108", "0.7"),  # totals unchanged, only the split moves
    ],
)
def test_the_effect_equals_srdi_simulate_set_for_a_full_year_change(events, pid, text):
    change = _full_year(events["staff"], pid, text)
    effect = refresh_effect(change, events["staff"])
    cli_out = _cli(pid, text)

    assert [y.year for y in effect.years] == [2025]
    year = effect.years[0]
    assert year.events == cli_out["events"]
    keys = ("amount_fen", "city_fen", "district_fen", "grants")
    assert {k: getattr(year.before, k) for k in keys} == {k: cli_out["totals"][k] for k in keys}
    assert {k: getattr(year.after, k) for k in keys} == {k: cli_out["changed_totals"][k] for k in keys}
    assert {k: getattr(year.difference, k) for k in keys} == cli_out["difference"]["overall"]
    measures = [
        {"measure": m.measure, "article": m.article, **{k: getattr(m.difference, k) for k in keys}}
        for m in year.by_measure
        if any(getattr(m.difference, k) for k in keys)
    ]
    assert measures == cli_out["difference"]["by_measure"]
    districts = [
        {"district": d.district or None, **{k: getattr(d.difference, k) for k in keys}}
        for d in year.by_district
        if any(getattr(d.difference, k) for k in keys)
    ]
    assert districts == cli_out["difference"]["by_district"]
    before_by_district = {d.district: d.before for d in year.by_district}
    for row in cli_out["by_district"]:
        assert {k: getattr(before_by_district[row["district"]], k) for k in keys} == {k: row[k] for k in keys}
    assert year.difference.amount_fen or year.difference.city_fen  # the change does something here

    # stored as shown, read back identically, and audited
    change.refresh_from_db()
    assert change.effect_computed_at is not None
    assert Effect.from_json(change.effect) == effect
    assert AuditEvent.objects.filter(object_type="parameter_change", object_repr__contains="测算").exists()


@pytest.mark.django_db
def test_gainers_losers_moves_and_the_most_affected(events):
    lower = compute_effect(_full_year(events["staff"], "hz81.9.rate.key", "15%"))
    year = lower.years[0]
    assert (year.gainers, year.losers) == (0, 2)
    assert [(e.name, e.before_fen, e.after_fen) for e in year.most_affected] == [
        ("杭州影响测算1有限公司", 200_000_000, 150_000_000),  # 1000万 × 20% → 15%
        ("杭州影响测算2有限公司", 100_000_000, 75_000_000),
    ]
    assert year.most_affected[0].difference_fen == -50_000_000
    assert year.moves == ()

    unset = compute_effect(_full_year(events["staff"], "hz81.6.tech_transaction_ratio", "5%")).years[0]
    assert [(m.before, m.after, m.count) for m in unset.moves] == [("amount_unset", "granted", 1)]
    assert (unset.gainers, unset.losers) == (1, 0)
    assert unset.most_affected[0].difference_fen == 5_000_000


@pytest.mark.django_db
def test_years_touched_are_the_years_with_events_in_the_period(events):
    staff = events["staff"]
    open_ended = propose(
        staff,
        pid="hz81.9.rate.key",
        value="15%",
        as_text=True,
        effective_from=date(2024, 7, 1),
        document="杭经信〔2025〕99号",
        reason="测算",
    )
    effect = compute_effect(open_ended)
    assert [y.year for y in effect.years] == [2024, 2025]
    # the 2024 renovation (May) is before the change's start: nothing moves in 2024
    assert effect.years[0].difference.amount_fen == 0
    assert effect.years[1].difference.amount_fen == -75_000_000
    assert years_touched(open_ended, [2023, 2024, 2026]) == [2024, 2026]


@pytest.mark.django_db
def test_a_decided_change_keeps_the_effect_its_approver_saw(events):
    change = _full_year(events["staff"], "hz81.7.scene_amount", "40万")
    shown = refresh_effect(change)
    decide(change.pk, events["admin"], approve=True)
    change.refresh_from_db()
    with pytest.raises(ParameterChangeError):
        refresh_effect(change)
    assert Effect.from_json(change.effect) == shown
