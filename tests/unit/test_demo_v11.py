"""The demo generator for 2026: four years of figures, the exchange-format 1.1 records, and plausible 2号 shares."""

from __future__ import annotations

import io
from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import get_args

import polars as pl
import pytest

from srdi.demo.generator import current_year, generate, to_profiles
from srdi.demo.rng import BLOCK
from srdi.domain.exchange import CLASS1_IP_KINDS, IpKind, KeyChainField, parse_profile
from srdi.domain.rules.engine import assess
from srdi.domain.tables import SCHEMAS, Tables, tables_from_profiles

SEED = 20240127
TIER_STATUSES = ("innovative_sme", "srdi_sme", "little_giant", "hidden_champion")


@pytest.fixture(scope="module")
def small() -> Tables:
    return generate(3000, SEED, as_of_year=2026)


@pytest.fixture(scope="module")
def large() -> Tables:
    return generate(30_000, SEED, as_of_year=2026)


@pytest.fixture(scope="module")
def judged(large):
    return assess(large, date(2026, 6, 30)).frame


def _ipc(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_ipc(buf)
    return buf.getvalue()


def _holders(t: Tables, tier: str) -> pl.DataFrame:
    return t.certifications.filter(pl.col("tier") == tier).select("eid").unique()


# ---- determinism ----------------------------------------------------------------------------------------


def test_2026_data_is_byte_identical_on_every_run(small):
    again = generate(3000, SEED, as_of_year=2026)
    for f in fields(Tables):
        assert _ipc(getattr(small, f.name)) == _ipc(getattr(again, f.name)), f.name


def test_an_enterprise_gets_the_same_2026_data_whatever_the_total(small):
    first = list(range(400))
    expected = small.take(first)
    for other in (
        generate(400, SEED, as_of_year=2026),
        generate(BLOCK + 50, SEED, as_of_year=2026).take(first),
    ):
        for f in fields(Tables):
            assert getattr(other, f.name).equals(getattr(expected, f.name)), f.name


def test_every_table_is_filled_and_follows_its_schema(small):
    for f in fields(Tables):
        df = getattr(small, f.name)
        assert dict(df.schema) == SCHEMAS[f.name], f.name
        assert df.height > 0 or f.name == "sanctions", f.name


def test_the_as_of_year_changes_the_data_but_not_its_shape(small):
    older = generate(3000, SEED, as_of_year=2025)
    assert set(older.years["year"]) == {2021, 2022, 2023, 2024}
    assert set(older.scores["year"]) == {2024, 2025}
    assert older.data_updates.height == 0  # updates are due from 2026
    assert older.certifications["recognized_on"].dt.year().max() == 2025
    assert small.certifications["recognized_on"].dt.year().max() == 2026


# ---- four years of figures ------------------------------------------------------------------------------


def test_figures_span_four_years(small):
    years = small.years
    assert set(years["year"]) == {2022, 2023, 2024, 2025}
    counts = years.group_by("eid").len()
    assert counts["len"].max() == 4
    assert counts.filter(pl.col("len") == 4).height > 0.85 * small.enterprises.height
    assert years.select(pl.struct("eid", "year").n_unique()).item() == years.height
    assert years.select(["eid", "year"]).equals(years.sort("eid", "year").select(["eid", "year"]))


def test_the_earliest_year_is_never_before_the_founding(small):
    early = small.years.filter(pl.col("year") == 2022).join(small.enterprises, on="eid")
    assert (early["founded_on"].drop_nulls().dt.year() <= 2022).all()


def test_the_earliest_year_continues_the_later_ones(large):
    wide = large.years.pivot(on="year", index="eid", values="operating_revenue_fen").drop_nulls()
    growth = (wide["2023"] / wide["2022"]).median()
    assert 1.0 < growth < 1.15
    rdi = large.years.filter(pl.col("year") == 2022).select(
        (pl.col("rd_expense_fen") / pl.col("operating_revenue_fen")).alias("rdi")
    )["rdi"]
    assert rdi.min() >= 0.0
    assert rdi.max() <= 0.1501
    assert (large.years["operating_revenue_fen"].drop_nulls() % 100 == 0).all()


def test_both_rulebook_generations_find_their_years(large):
    ents = large.enterprises.height
    for years in ((2022, 2023, 2024), (2023, 2024, 2025)):  # 63号 on 2025-06-30, 2号 on 2026-06-30
        full = large.years.filter(pl.col("year").is_in(years)).group_by("eid").len()
        assert full.filter(pl.col("len") == 3).height > 0.85 * ents


# ---- the v1.1 enterprise fields -------------------------------------------------------------------------


def test_main_products_are_part_of_the_main_business(large):
    last = large.years.filter(pl.col("year") == 2025).select(
        "eid", main=pl.col("main_business_revenue_fen") / pl.col("operating_revenue_fen")
    )
    ents = large.enterprises.join(last, on="eid").drop_nulls(["mp_revenue_share", "main"])
    share = ents["mp_revenue_share"].cast(pl.Float64)
    assert (share <= ents["main"] + 0.0002).all()
    assert (share > 0.5).mean() > 0.97
    assert 0.02 < large.enterprises["mp_revenue_share"].null_count() / large.enterprises.height < 0.08


def test_key_chain_fields_group_flags_and_known_flags(large):
    ents = large.enterprises
    fields_seen = set(ents["mp_key_chain_field"].drop_nulls())
    assert fields_seen <= set(get_args(KeyChainField))
    assert {"none", "key_software", "core_basic_parts", "key_basic_materials"} <= fields_seen
    assert 0.001 < ents["group_has_little_giant"].drop_nulls().mean() < 0.02
    for flag in ("ip_items_known", "platform_scores_known", "data_updates_known", "sanctions_known"):
        assert ents[flag].null_count() == 0, flag
        assert 0.9 < ents[flag].mean() < 0.995, flag
    assert not ents.filter(pl.col("ip_class1").is_null())["ip_items_known"].any()


# ---- IP items -------------------------------------------------------------------------------------------


def test_ip_items_follow_the_v1_counts(large):
    class1 = pl.col("kind").is_in(list(CLASS1_IP_KINDS))
    per = large.ip_items.group_by("eid").agg(
        class1.sum().alias("n1"),
        (pl.col("kind") == "invention_patent").sum().alias("inv"),
        (~class1).sum().alias("n2"),
        (class1 & pl.col("transferred_in")).sum().alias("moved"),
        (class1 & pl.col("transferred_in").is_null()).sum().alias("moved_unknown"),
    )
    ents = large.enterprises.filter("ip_items_known").join(per, on="eid", how="left").fill_null(0)
    assert (ents["n1"] == ents["ip_class1"]).all()
    assert (ents["inv"] == ents["ip_invention_patents"]).all()
    assert (ents["n2"] == ents["ip_class2"]).all()
    sure = ents.filter(pl.col("moved_unknown") == 0)
    assert (sure["moved"] == sure["ip_class1"] - sure["ip_class1_self_developed"]).all()
    unknown = set(large.enterprises.filter(~pl.col("ip_items_known"))["eid"])
    assert unknown.isdisjoint(set(large.ip_items["eid"]))


def test_ip_items_are_mostly_valid_own_and_applied(large):
    items = large.ip_items
    day = date(2026, 6, 30)
    valid = (pl.col("granted_on") <= day) & (pl.col("expires_on").is_null() | (pl.col("expires_on") >= day))
    assert items.select(valid.mean()).item() > 0.93
    assert 0.01 < items["transferred_in"].drop_nulls().mean() < 0.15
    assert (items["holder_rank"].drop_nulls() == 1).mean() > 0.85
    assert items["holder_rank"].drop_nulls().min() == 1
    assert (items["holder_rank"].drop_nulls() > 3).any()
    assert 0.8 < items["applied_with_benefit"].drop_nulls().mean() < 0.97
    assert set(items["kind"]) <= set(get_args(IpKind))
    assert {"invention_patent", "utility_model", "design", "software_copyright", "ic_layout"} <= set(
        items["kind"]
    )
    stated = items.drop_nulls(["granted_on", "expires_on"])
    assert (stated["expires_on"] > stated["granted_on"]).all()
    founded = items.join(large.enterprises.select("eid", "founded_on"), on="eid").drop_nulls()
    assert (founded["granted_on"] > founded["founded_on"]).all()


def test_better_enterprises_hold_more_countable_ip(large):
    giants = _holders(large, "little_giant")
    per = large.ip_items.group_by("eid").len()
    with_ip = large.enterprises.select("eid").join(per, on="eid", how="left").fill_null(0)
    assert with_ip.join(giants, on="eid", how="semi")["len"].median() > with_ip["len"].median()


# ---- platform scores, data updates, sanctions -----------------------------------------------------------


def test_platform_scores_are_decimals_for_two_years_with_a_sensible_spread(large):
    scores = large.scores
    assert scores.schema["score"] == pl.Decimal(20, 9)
    assert set(scores["year"]) == {2025, 2026}
    values = scores["score"]
    assert Decimal(0) <= values.min() and values.max() <= Decimal(100)
    assert all((v * 10) == (v * 10).to_integral_value() for v in values.head(500))  # one decimal place
    current = scores.filter(pl.col("year") == 2026)["score"].cast(pl.Float64)
    assert 0.2 < (current >= 50).mean() < 0.45
    assert 0.05 < (current >= 60).mean() < 0.2
    per_enterprise = scores.group_by("eid").len()["len"]
    assert per_enterprise.max() == 2
    unknown = set(large.enterprises.filter(~pl.col("platform_scores_known"))["eid"])
    assert unknown.isdisjoint(set(scores["eid"]))


def test_title_holders_score_higher(large):
    current = large.scores.filter(pl.col("year") == 2026).with_columns(pl.col("score").cast(pl.Float64))
    srdi = current.join(_holders(large, "srdi_sme"), on="eid", how="semi")["score"]
    giants = current.join(_holders(large, "little_giant"), on="eid", how="semi")["score"]
    others = current.join(_holders(large, "srdi_sme"), on="eid", how="anti")["score"]
    assert (srdi >= 50).mean() > 0.8
    assert (giants >= 60).mean() > 0.75
    assert srdi.mean() > others.mean() + 10


def test_most_enterprises_update_by_31_may(large):
    updates = large.data_updates
    assert set(updates["year"]) == {2026}
    known = large.enterprises.filter("data_updates_known")
    on_time = updates.filter(pl.col("updated_on").is_null() | (pl.col("updated_on") <= date(2026, 5, 31)))
    assert 0.8 < on_time.height / known.height < 0.97
    assert updates.filter(pl.col("updated_on") > date(2026, 5, 31)).height > 0  # some late
    assert known.height - updates.height > 0.02 * known.height  # some missed
    assert updates["updated_on"].drop_nulls().min() >= date(2026, 3, 1)


def test_data_fraud_is_very_rare(large):
    sanctions = large.sanctions
    assert 0 < sanctions.height < 0.002 * large.enterprises.height
    assert set(sanctions["kind"]) == {"data_fraud"}
    assert sanctions["date"].is_between(date(2024, 1, 1), date(2026, 6, 30)).all()


# ---- certifications: 科技型中小企业 and the 2026 batches -------------------------------------------------


def test_tech_sme_registrations_are_yearly_and_common(large):
    tech = large.certifications.filter(pl.col("tier") == "tech_sme")
    share = tech["eid"].n_unique() / large.enterprises.height
    assert 0.2 < share < 0.32
    year = tech["recognized_on"].dt.year()
    assert set(year) == {2023, 2024, 2025, 2026}
    assert (tech["expires_on"].dt.month() == 12).all() and (tech["expires_on"].dt.day() == 31).all()
    assert (tech["expires_on"].dt.year() == year).all()
    assert tech["revoked_on"].null_count() == tech.height
    assert tech.filter(year == 2026)["recognized_on"].min() >= date(
        2026, 6, 1
    )  # the 2026 round opened 1 June
    assert tech.group_by("eid", year).len()["len"].max() == 1


def test_2026_recognitions_under_2号_come_in_their_batches(large):
    certs = large.certifications
    new = certs.filter(pl.col("recognized_on") >= date(2026, 4, 1))
    assert {"srdi_sme", "little_giant", "innovative_sme", "tech_sme"} <= set(new["tier"])
    srdi = certs.filter(pl.col("tier") == "srdi_sme")
    assert set(srdi.filter(pl.col("recognized_on").dt.year() == 2026)["recognized_on"]) == {
        date(2026, 1, 20),
        date(2026, 7, 20),
    }
    giants = certs.filter(pl.col("tier") == "little_giant")
    assert giants["recognized_on"].max() == date(2026, 8, 28)
    earlier = srdi.select("eid", srdi=pl.col("recognized_on")).join(
        giants.select("eid", giant=pl.col("recognized_on")), on="eid"
    )
    assert (earlier["srdi"] < earlier["giant"]).all()


# ---- profiles -------------------------------------------------------------------------------------------


def test_every_generated_2026_profile_parses(small):
    profiles = to_profiles(small)
    assert len(profiles) == small.enterprises.height
    for p in profiles:
        assert parse_profile(p).uscc == p["uscc"]
    with_items = [p for p in profiles if p.get("ip_items")]
    assert with_items
    assert all(isinstance(v, str) for p in profiles for v in p.get("platform_scores", {}).values())
    assert any(p.get("data_updates") for p in profiles)
    assert any("tech_sme" in {c["tier"] for c in p.get("certifications", [])} for p in profiles)
    assert any("revenue_share" in p.get("main_product", {}) for p in profiles)
    assert any(set(p.get("financials", {})) == {"2022", "2023", "2024", "2025"} for p in profiles)
    assert not any("ip_items_known" in p or "platform_scores_known" in p for p in profiles)


def test_profiles_carry_the_same_facts_as_the_tables(small):
    """Through the exchange format and back, the 2号 judgement of each enterprise is unchanged."""
    first = list(range(300))
    direct = assess(small.take(first), date(2026, 6, 30)).frame
    profiles = [parse_profile(p) for p in to_profiles(small, limit=300)]
    parsed = assess(tables_from_profiles(profiles), date(2026, 6, 30)).frame
    for tier in TIER_STATUSES:
        assert direct[f"{tier}|status"].to_list() == parsed[f"{tier}|status"].to_list(), tier


def test_a_sanctioned_profile_parses(large):
    eid = int(large.sanctions["eid"][0])
    profile = to_profiles(large.take([eid]))[0]
    assert profile["sanctions"][0]["kind"] == "data_fraud"
    assert parse_profile(profile).sanctions


# ---- plausible 2号 shares -------------------------------------------------------------------------------


def test_tier_shares_under_2号_are_plausible(judged):
    n = judged.height
    share = {t: (judged[f"{t}|status"] == "eligible").sum() / n for t in TIER_STATUSES}
    assert 0.03 < share["srdi_sme"] < 0.2  # a minority
    assert 0.001 < share["little_giant"] < 0.02
    assert share["little_giant"] < share["srdi_sme"] < share["innovative_sme"]
    for tier in TIER_STATUSES:
        assert {"eligible", "ineligible", "needs_data"} <= set(judged[f"{tier}|status"]), tier


def test_2号_rules_read_the_v11_fields(judged):
    assert judged["srdi_sme|S9"].drop_nulls().any() and not judged["srdi_sme|S9"].drop_nulls().all()
    assert judged["little_giant|L4"].drop_nulls().any()
    assert judged["little_giant|L7"].drop_nulls().any()
    assert judged["little_giant|not_group_of_little_giant"].drop_nulls().mean() > 0.97


def test_63号_can_still_be_judged_on_2026_data(large):
    frame = assess(large, date(2025, 6, 30)).frame
    eligible = (frame["srdi_sme|status"] == "eligible").mean()
    assert 0.05 < eligible < 0.5


def test_current_year_is_the_year_in_hangzhou():
    assert current_year(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 2026
    assert current_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2027  # midnight in Hangzhou
    assert current_year() >= 2026
