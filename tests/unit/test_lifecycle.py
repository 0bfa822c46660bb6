"""The title lifecycle (P7–P9): missed annual updates cancel a Zhejiang title, data fraud ends every title.

Deadlines: 30 April to 2025, 31 May from 2026; the two-misses rule applies to deadlines from 2026-04-01
(浙经信企业〔2026〕108号), so the first possible cancellation is the day after the 2027 deadline.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.conftest import make_uscc

from srdi.domain.assessment.contract import run_assess
from srdi.domain.exchange import parse_profile
from srdi.domain.lifecycle import apply_lifecycle
from srdi.domain.rules.rulebook import load_library
from srdi.domain.tables import tables_from_profiles

TITLE = {"tier": "srdi_sme", "recognized_on": "2025-06-01"}  # valid to 2028-05-31


def ends(day: str, **profile) -> dict[str, date | None]:
    """tier → revoked_on after the lifecycle rules for judging ``day``."""
    p = parse_profile({"uscc": make_uscc(), "certifications": [TITLE], **profile})
    tables = apply_lifecycle(tables_from_profiles([p]), load_library().lifecycle(date.fromisoformat(day)))
    return dict(tables.certifications.select("tier", "revoked_on").iter_rows())


def test_a_known_empty_update_history_cancels_after_the_second_missed_deadline():
    assert ends("2027-07-01", data_updates=[]) == {"srdi_sme": date(2027, 6, 1)}


def test_a_deadline_still_ahead_is_not_yet_missed():
    assert ends("2027-05-31", data_updates=[]) == {"srdi_sme": None}  # the 2027 deadline is the day itself
    assert ends("2027-06-01", data_updates=[]) == {"srdi_sme": date(2027, 6, 1)}


@pytest.mark.parametrize(
    ("updated_on", "cancelled"),
    [("2026-05-31", None), ("2026-06-01", date(2027, 6, 1))],  # 31 May is on time, 1 June is late
)
def test_the_31_may_deadline_counts_the_day_itself(updated_on, cancelled):
    history = [{"year": 2026, "updated_on": updated_on}]
    assert ends("2027-07-01", data_updates=history) == {"srdi_sme": cancelled}


@pytest.mark.parametrize("backend", ["columnar", "scalar"])
def test_a_title_listed_twice_misses_each_deadline_once(backend):
    """Two rows for one title (the same tier and day, e.g. imported with and without a certificate end date):
    one missed update (2026) is one miss, not two — no cancellation before the second missed deadline (2027)."""
    from srdi.domain.lifecycle import revoked_on_after
    from srdi.domain.tables import rows_from_profiles

    twice = [TITLE, {**TITLE, "expires_on": "2028-05-31"}]
    history = [{"year": 2027, "updated_on": "2027-05-01"}]  # 2026 missed, 2027 made
    p = parse_profile({"uscc": make_uscc(), "certifications": twice, "data_updates": history})
    rules = load_library().lifecycle(date(2027, 7, 1))
    if backend == "columnar":
        revoked = apply_lifecycle(tables_from_profiles([p]), rules).certifications.get_column("revoked_on")
        assert revoked.to_list() == [None, None]
    else:
        rows = rows_from_profiles([p])
        assert revoked_on_after(rows.certifications, rows.data_updates, [], True, rules) == [None, None]
    # …and with 2027 missed too, both rows end the day after the 2027 deadline.
    p = parse_profile({"uscc": make_uscc(), "certifications": twice, "data_updates": []})
    revoked = apply_lifecycle(tables_from_profiles([p]), rules).certifications.get_column("revoked_on")
    assert revoked.to_list() == [date(2027, 6, 1)] * 2


def test_an_unknown_update_history_cancels_nothing():
    assert ends("2028-01-01") == {"srdi_sme": None}


def test_other_tiers_are_not_cancelled_for_missed_updates():
    p = parse_profile(
        {
            "uscc": make_uscc(),
            "certifications": [{"tier": "innovative_sme", "recognized_on": "2025-06-01"}],
            "data_updates": [],
        }
    )
    tables = apply_lifecycle(tables_from_profiles([p]), load_library().lifecycle(date(2027, 7, 1)))
    assert tables.certifications.get_column("revoked_on").to_list() == [None]


def test_each_fraud_finding_has_its_own_ban():
    # Findings on 2022-07-01 (ban to 2025-06-30) and 2026-06-01 (ban to 2029-05-31): a title recognised
    # between the two bans is valid until the second finding, which ends it.
    frauds = [{"kind": "data_fraud", "date": "2022-07-01"}, {"kind": "data_fraud", "date": "2026-06-01"}]
    p = parse_profile(
        {
            "uscc": make_uscc(),
            "certifications": [{"tier": "srdi_sme", "recognized_on": "2025-08-01"}],
            "sanctions": frauds,
        }
    )
    tables = apply_lifecycle(tables_from_profiles([p]), load_library().lifecycle(date(2026, 7, 1)))
    assert tables.certifications.get_column("revoked_on").to_list() == [date(2026, 6, 1)]
    bans = {}
    for day in ("2025-09-01", "2026-07-01"):
        out = run_assess(
            {"as_of": day, "enterprises": [{"uscc": make_uscc(), "sanctions": frauds}]}, with_gaps=False
        )
        check = next(
            c for c in out["results"][0]["tiers"]["innovative_sme"]["checks"] if c["id"] == "no_fraud_ban"
        )
        bans[day] = check["result"]
    assert bans == {"2025-09-01": "pass", "2026-07-01": "fail"}
