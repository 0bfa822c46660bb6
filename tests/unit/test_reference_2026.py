"""Reference data added for the rules in force since 2026: the "296X" clusters and the LPR releases of 2026."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from srdi.domain.reference import cluster_name, clusters_296x, lpr_on, lpr_table


def test_296x_is_two_trillion_nine_hundred_billion_and_six_named_future_clusters():
    clusters = clusters_296x()
    by_tier = {
        t: [c.name for c in clusters if c.tier == t] for t in ("trillion", "hundred_billion", "future")
    }
    assert by_tier["trillion"] == ["人工智能", "视觉智能"]
    assert len(by_tier["hundred_billion"]) == 9 and "现代纺织与服装" in by_tier["hundred_billion"]
    assert by_tier["future"] == ["合成生物", "航空航天", "低空经济", "量子技术", "光电科技", "类脑智能"]
    assert len({c.code for c in clusters}) == len(clusters)
    assert all(c.status == "SECONDARY" and c.source.startswith("每日商报") for c in clusters)  # 同上 resolved
    assert cluster_name("low_altitude_economy") == "低空经济" and cluster_name("nope") == "nope"


def test_lpr_table_runs_to_the_september_2026_release_unchanged_at_three_percent():
    releases = [r.released_on for r in lpr_table()]
    assert releases[-1] == date(2026, 9, 21)
    assert date(2026, 6, 22) in releases and date(2026, 1, 20) in releases
    assert all(
        r.one_year_percent == Decimal("3.00") for r in lpr_table() if r.released_on >= date(2025, 5, 20)
    )
    assert lpr_on(date(2026, 11, 30)).released_on == date(2026, 9, 21)
    assert lpr_on(date(2026, 2, 25)).released_on == date(2026, 1, 20)  # the February release is left out
