"""第7条's ten scenes a year, as far as one enterprise goes: scenes beyond the ceiling are not granted.

Scenes already paid that year count first (other scenes only: a scene of the run that was paid before is
the same matter, topped up or superseded, never counted twice).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from tests.conftest import make_uscc

from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import records_by_enterprise
from srdi.domain.policy.engine import HISTORY_SCHEMA, entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.tables import tables_from_profiles

SRDI = [{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}]
AWARD = 50_000_000


def _scene(sid: str, day: str) -> dict[str, Any]:
    return {"kind": "scene_award", "scene_id": sid, "date": day}


def _paid(*matters: tuple[str, int]) -> pl.DataFrame:
    rows = [
        {
            "eid": 0,
            "group": "scene",
            "matter": f"scene|{sid}",
            "year": year,
            "paid_fen": AWARD,
            "reference": sid,
        }
        for sid, year in matters
    ]
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA)


def _records(events: list[dict[str, Any]], history: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    profile = parse_profile(
        {"uscc": make_uscc("330106"), "district": "330106", "certifications": SRDI, "events": events}
    )
    result = entitle(tables_from_profiles([profile]), load_packs(), history=history)
    return [r for r in records_by_enterprise(result)[0] if r["article"] == 7]


def test_the_eleventh_scene_of_a_year_is_not_granted_and_the_next_year_starts_again():
    events = [_scene(f"S{i}", f"2025-{i + 1:02d}-01") for i in range(11)] + [_scene("N1", "2024-03-01")]
    by_event = {r["event"]: r for r in _records(events)}
    assert [by_event[f"S{i}"]["status"] for i in range(10)] == ["granted"] * 10
    late = by_event["S10"]
    assert (late["status"], late["amount_fen"]) == ("not_eligible", 0)
    quota = next(b for b in late["basis"] if b["type"] == "annual_quota")
    assert (quota["rank_in_year"], quota["quota"]) == (11, 10)
    assert quota["parameter"]["id"] == "hz81.7.scenes_per_year"
    assert "超过每年不超过 10 项的上限" in late["explanation"]
    assert by_event["N1"]["status"] == "granted"


def test_scenes_already_paid_that_year_count_first_but_not_the_same_scene_again():
    history = _paid(*[(f"P{i}", 2025) for i in range(8)], ("S1", 2025), ("OLD", 2024))
    records = _records(
        [_scene("S1", "2025-06-01"), _scene("S2", "2025-07-01"), _scene("S3", "2025-08-01")], history
    )
    by_event = {r["event"]: r for r in records}
    # S1 was itself paid already (superseded, not counted twice); 8 other 2025 scenes + S2 = 9, S3 = 10.
    assert by_event["S1"]["status"] == "superseded"
    assert [by_event[s]["status"] for s in ("S2", "S3")] == ["granted", "granted"]
    history = _paid(*[(f"P{i}", 2025) for i in range(9)])
    by_event = {
        r["event"]: r for r in _records([_scene("S2", "2025-07-01"), _scene("S3", "2025-08-01")], history)
    }
    assert (by_event["S2"]["status"], by_event["S3"]["status"]) == ("granted", "not_eligible")
