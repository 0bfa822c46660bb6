"""The demo generator: deterministic, schema-true, realistic enough, and every profile is valid."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import fields
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from srdi.demo.generator import generate, to_profiles
from srdi.demo.profiles import event_payloads
from srdi.demo.rng import BLOCK
from srdi.demo.sizes import size_classes, size_inputs
from srdi.domain.exchange import parse_profile
from srdi.domain.reference import ECOSYSTEMS, district_codes
from srdi.domain.size_class import classify_size
from srdi.domain.tables import SCHEMAS, Tables
from srdi.domain.uscc import is_valid_uscc

SEED = 20240127


@pytest.fixture(scope="module")
def tables() -> Tables:
    return generate(3000, SEED)


@pytest.fixture(scope="module")
def large() -> Tables:
    return generate(30_000, SEED)


def _ipc(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_ipc(buf)
    return buf.getvalue()


def test_same_seed_gives_byte_identical_tables(tables):
    again = generate(3000, SEED)
    for f in fields(Tables):
        assert _ipc(getattr(tables, f.name)) == _ipc(getattr(again, f.name)), f.name


def test_a_different_seed_gives_different_data(tables):
    other = generate(3000, SEED + 1)
    assert not other.enterprises.equals(tables.enterprises)
    assert not other.years.equals(tables.years)
    assert set(other.enterprises["uscc"]).isdisjoint(set(tables.enterprises["uscc"]))


def test_an_enterprise_gets_the_same_data_whatever_the_total(tables):
    # 3000 spans one block; BLOCK + 100 spans two: the first 500 enterprises are the same in all three
    small = generate(500, SEED)
    bigger = generate(BLOCK + 100, SEED)
    first = list(range(500))
    for f in fields(Tables):
        expected = getattr(tables.take(first), f.name)
        assert getattr(small, f.name).equals(expected), f.name
        assert getattr(bigger.take(first), f.name).equals(expected), f.name


def test_tables_follow_the_canonical_schemas(tables):
    for f in fields(Tables):
        assert dict(getattr(tables, f.name).schema) == SCHEMAS[f.name], f.name
    assert tables.enterprises["eid"].to_list() == list(range(3000))


def test_zero_enterprises_gives_empty_tables():
    empty = generate(0, SEED)
    assert len(empty) == 0
    assert dict(empty.events.schema) == SCHEMAS["events"]


def test_every_uscc_is_valid_unique_and_carries_the_district(tables):
    ents = tables.enterprises
    assert all(is_valid_uscc(code) for code in ents["uscc"])
    assert ents["uscc"].n_unique() == ents.height
    assert (ents["uscc"].str.slice(2, 6) == ents["district"]).all()
    assert ents["uscc"].str.starts_with("9133").all()


def test_uscc_organisation_code_form_follows_the_founding_year(tables):
    ents = tables.enterprises.filter(pl.col("founded_on").is_not_null())
    old = ents.filter(pl.col("founded_on").dt.year() < 2015)["uscc"]
    new = ents.filter(pl.col("founded_on").dt.year() >= 2015)["uscc"]
    assert old.str.slice(8, 8).str.contains(r"^\d{8}$").all()
    assert new.str.slice(8, 2).eq("MA").all()


def test_names_are_plausible_and_unique(large):
    names = large.enterprises["name"]
    assert names.n_unique() == large.enterprises.height
    assert names.str.starts_with("杭州").all()
    assert names.str.contains("有限公司").all()


def test_all_districts_ecosystems_and_some_unknown_ecosystems(tables):
    ents = tables.enterprises
    assert set(ents["district"]) == district_codes()
    assert set(ents["ecosystem"].drop_nulls()) == set(ECOSYSTEMS)
    assert 0.03 < ents["ecosystem"].null_count() / ents.height < 0.2


def test_district_weights_favour_the_large_districts(large):
    share = dict(large.enterprises["district"].value_counts(normalize=True).iter_rows())
    for big in ("330108", "330110", "330109", "330114"):
        for small in ("330127", "330182"):
            assert share[big] > 3 * share[small]


def test_industries_are_mostly_manufacturing_and_software(large):
    section = large.enterprises["industry_code"].drop_nulls().str.slice(0, 1).value_counts(normalize=True)
    share = dict(section.iter_rows())
    assert share["C"] > 0.5
    assert 0.12 < share["I"] < 0.4
    assert share.get("F", 0) + share.get("M", 0) < 0.15
    assert large.enterprises["industry_code"].drop_nulls().str.contains(r"^[A-T]\d{4}$").all()


def test_tier_proportions_are_as_designed(large):
    n = large.enterprises.height
    tiers = large.certifications.filter(pl.col("tier") != "tech_sme")
    holders = tiers.group_by("tier").agg(pl.col("eid").n_unique().alias("k"))
    share = {t: k / n for t, k in holders.iter_rows()}
    assert share["innovative_sme"] == pytest.approx(0.45, abs=0.03)
    assert share["srdi_sme"] == pytest.approx(0.12, abs=0.015)
    assert share["little_giant"] == pytest.approx(0.02, abs=0.005)
    assert share["hidden_champion"] == pytest.approx(0.004, abs=0.002)
    assert 0.5 < 1 - tiers["eid"].n_unique() / n < 0.6


def test_little_giants_also_hold_an_earlier_provincial_title(large):
    certs = large.certifications
    giants = certs.filter(pl.col("tier") == "little_giant").select("eid", giant=pl.col("recognized_on"))
    srdi = certs.filter(pl.col("tier") == "srdi_sme").select("eid", srdi=pl.col("recognized_on"))
    joined = giants.join(srdi, on="eid", how="left")
    assert joined["srdi"].null_count() == 0
    assert (joined["srdi"] < joined["giant"]).all()
    assert (joined["giant"] - joined["srdi"]).dt.total_days().max() < 3 * 365  # still valid when promoted


def test_certificates_run_three_years_less_a_day_and_some_facts_vary(large):
    certs = large.certifications.filter(pl.col("tier") != "tech_sme")  # registrations run to 31 Dec
    stated = certs.filter(pl.col("expires_on").is_not_null())
    expected = stated["recognized_on"].dt.offset_by("3y").dt.offset_by("-1d")
    assert (stated["expires_on"] == expected).all()
    assert 0 < certs["expires_on"].null_count() < 0.06 * certs.height
    revoked = certs.filter(pl.col("revoked_on").is_not_null())
    assert 0 < revoked.height < 0.02 * certs.height
    assert (revoked["revoked_on"] > revoked["recognized_on"]).all()
    assert certs["recognized_on"].dt.year().n_unique() >= 4  # several batches
    assert large.enterprises["certifications_known"].mean() > 0.97


def _last_year(t: Tables, year: int = 2024) -> pl.DataFrame:
    return t.years.filter(pl.col("year") == year).select(
        "eid",
        rev=pl.col("operating_revenue_fen") / 1_000_000,
        rd=pl.col("rd_expense_fen") / 1_000_000,
        rdi=pl.col("rd_expense_fen") / pl.col("operating_revenue_fen"),
    )


def test_higher_tiers_tend_to_meet_their_criteria(large):
    ents = large.enterprises.join(_last_year(large), on="eid", how="left")
    srdi = set(large.certifications.filter(pl.col("tier") == "srdi_sme")["eid"])
    giants = set(large.certifications.filter(pl.col("tier") == "little_giant")["eid"])
    basic = (
        (2024 - pl.col("niche_since_year") + 1 >= 2)
        & (pl.col("rd") >= 100)
        & (pl.col("rdi") >= 0.03)
        & (pl.col("rev") >= 1000)
    )
    scored = ents.with_columns(
        basic=basic.fill_null(False),
        srdi=pl.col("eid").is_in(list(srdi)),
        giant=pl.col("eid").is_in(list(giants)),
    )
    holders = scored.filter("srdi")["basic"].mean()
    others = scored.filter(~pl.col("srdi"))["basic"].mean()
    assert holders > 0.75
    assert holders > others + 0.3
    giant_rdi = scored.filter("giant")["rdi"].median()
    assert giant_rdi > scored.filter(~pl.col("srdi"))["rdi"].median()


def test_financial_figures_stay_in_their_ranges(tables):
    y = tables.years.drop_nulls()
    rev = y["operating_revenue_fen"]
    assert (rev > 0).all()
    share = y["main_business_revenue_fen"] / rev
    assert share.min() >= 0.449
    assert share.max() <= 1.0001
    rdi = y["rd_expense_fen"] / rev
    assert rdi.min() >= 0
    assert rdi.max() <= 0.1501
    margin = y["net_profit_fen"] / rev
    assert margin.min() >= -0.1001
    assert margin.max() <= 0.2501
    debt = y["total_liabilities_fen"] / y["total_assets_fen"]
    assert debt.min() >= 0.099
    assert debt.max() <= 0.901
    assert (y["rd_staff"] <= y["employees"]).all()
    staff = y.filter(pl.col("employees") >= 50)
    ratio = staff["rd_staff"] / staff["employees"]
    assert ratio.min() >= 0.015
    assert ratio.max() <= 0.61
    assert (rev % 100 == 0).all()  # whole yuan
    assert set(tables.years["year"].unique()) == {2021, 2022, 2023, 2024}


def test_founding_and_niche_years_are_consistent(tables):
    ents = tables.enterprises.drop_nulls(["founded_on", "niche_since_year"])
    founded = ents["founded_on"].dt.year()
    assert founded.min() >= 1995
    assert founded.max() <= 2022
    assert (ents["niche_since_year"] >= founded).all()
    assert (ents["niche_since_year"] <= 2024).all()


def test_enterprise_fields_stay_in_their_ranges(tables):
    ents = tables.enterprises
    assert set(ents["digital_level"].drop_nulls()) <= {1, 2, 3, 4}
    assert ents["zj_featured_points"].drop_nulls().is_between(0, 15).all()
    share = ents["mp_niche_market_share"].drop_nulls()
    assert share.min() > 0
    assert share.max() <= 1
    assert (ents["ip_class1_self_developed"] <= ents["ip_class1"]).drop_nulls().all()
    assert (ents["ip_class1_high_value"] <= ents["ip_class1"]).drop_nulls().all()
    assert ents["c_bank_rating_ok"].drop_nulls().mean() > 0.9
    for flag in ("c_major_accident_3y", "c_dishonest", "c_abnormal_operation"):
        assert ents[flag].drop_nulls().mean() < 0.03
    assert ents["c_abnormal_operation"].drop_nulls().sum() > 0
    assert (
        set(ents["rd_institution_level"].drop_nulls())
        == {"national", "provincial", "municipal", "below_municipal", "none"}
        or ents.height < 5000
    )


def test_unknowns_are_null_and_present(tables):
    ents, years = tables.enterprises, tables.years
    later = years.filter(pl.col("year") >= 2022).group_by("eid").len()
    missing_a_year = ents.height - later.filter(pl.col("len") == 3).height
    assert 0.01 * ents.height < missing_a_year < 0.08 * ents.height
    assert any(years[c].null_count() > 0 for c in ("rd_expense_fen", "rd_staff", "main_business_revenue_fen"))
    assert ents["digital_level"].null_count() > 0
    assert ents["ip_class1"].null_count() > 0
    assert ents["mp_niche_market_share"].null_count() > 0
    assert (~ents["titles_known"]).sum() > 0
    assert (~ents["equity_known"]).sum() > 0
    # unknown lists carry no rows
    unknown = set(ents.filter(~pl.col("titles_known"))["eid"])
    assert unknown.isdisjoint(set(tables.titles["eid"]))


def test_child_facts_are_realistic(large):
    t = large
    kinds = dict(t.titles["kind"].value_counts().iter_rows())
    assert kinds["high_tech_enterprise"] > 10 * kinds.get("ip_advantage", 0) > 0
    assert (t.titles["valid_to"].drop_nulls() > t.titles.drop_nulls()["valid_from"].min()).all()
    assert set(t.awards["level"]) == {"national", "provincial", "municipal"}
    assert t.awards["rank"].drop_nulls().is_between(1, 5).all()
    assert set(t.contests["group"]) == {"national_top500", "national_top50"}
    assert t.equity["qualified_investor"].drop_nulls().mean() > 0.6
    assert (t.equity["amount_fen"] % 1_000_000 == 0).all()


def test_events_are_keyed_ordered_and_mostly_inside_the_window(large):
    ev = large.events
    assert set(ev["kind"]) == {
        "recognition",
        "relocation_in",
        "tech_renovation",
        "digital_transformation",
        "loan",
        "brand_listing",
        "scene_award",
        "tech_transaction",
    }
    keyed = ev.filter(pl.col("key").is_not_null())
    assert keyed.select(pl.struct("eid", "key").n_unique()).item() == keyed.height
    assert set(ev.filter(pl.col("key").is_null())["kind"]) <= {
        "recognition",
        "relocation_in",
        "brand_listing",
        "tech_transaction",
    }
    seqs = ev.group_by("eid").agg(pl.col("seq").sort(), pl.len())
    assert all(s == list(range(k)) for s, k in seqs.select("seq", "len").iter_rows())
    when = pl.coalesce("date", "contract_date")
    inside = ev.select(when.is_between(date(2024, 1, 27), date(2025, 12, 31)).mean()).item()
    assert 0.85 < inside < 0.99
    assert set(ev.filter(pl.col("kind") == "recognition")["tier"]) == {
        "srdi_sme",
        "hidden_champion",
        "little_giant",
    }


def test_money_and_rates_of_events(large):
    ev = large.events
    loans = ev.filter(pl.col("kind") == "loan")
    assert loans["date"].null_count() == loans.height
    assert loans["contract_date"].null_count() == 0
    assert loans["principal_fen"].is_between(100_000_000, 2_000_000_000).all()
    rate = loans["annual_rate"].cast(pl.Float64)
    assert rate.min() >= 0.022
    assert rate.max() <= 0.038
    assert loans["term_months"].is_between(6, 12).all()
    fee = loans["guarantee_fee_rate"].drop_nulls().cast(pl.Float64)
    assert fee.min() >= 0.003
    assert fee.max() <= 0.008
    paid = loans.drop_nulls("interest_paid_fen")
    expected = paid["principal_fen"] * paid["annual_rate"].cast(pl.Float64) * paid["term_months"] / 12
    assert ((paid["interest_paid_fen"] / expected) - 1).abs().max() < 0.035
    reno = ev.filter(pl.col("kind") == "tech_renovation")
    assert reno["total_investment_fen"].is_between(200 * 1_000_000, 80_000 * 1_000_000).all()
    eligible = reno.drop_nulls("eligible_investment_since_2023_fen")
    assert (eligible["eligible_investment_since_2023_fen"] <= eligible["total_investment_fen"]).all()
    brand = ev.filter(pl.col("kind") == "brand_listing")
    assert (brand["year"] == brand["date"].dt.year() - 1).all()
    assert set(brand["list"]) == {"brand_power_project"}


def test_size_classes_equal_the_domain_rule_row_by_row(tables):
    sizes = size_classes(tables.enterprises, tables.years)
    inputs = tables.enterprises.select("eid", "industry_code").join(
        size_inputs(tables.years), on="eid", how="left"
    )
    rows = inputs.join(sizes, on="eid").iter_rows(named=True)
    seen = set()
    for r in rows:
        expected = None
        if r["size_year"] is not None:
            expected = classify_size(
                r["industry_code"], r["employees"], r["revenue_wan"], r["assets_wan"]
            ).size_class
        assert r["size_class"] == expected, r
        seen.add(expected)
    assert {"medium", "small", "micro"} <= seen


def test_generated_profiles_pass_the_exchange_format(tables):
    profiles = to_profiles(tables, limit=400)
    assert len(profiles) == 400
    for p in profiles:
        parsed = parse_profile(p)
        assert parsed.uscc == p["uscc"]
    assert any("events" in p for p in profiles)
    assert any("financials" not in p or len(p["financials"]) < 4 for p in profiles)


def test_profiles_and_payloads_hold_no_float_money(tables):
    def walk(value, path=""):
        if isinstance(value, float):
            raise AssertionError(f"float at {path}: {value}")
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        if isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    for p in to_profiles(tables, limit=1000):
        walk(p)
    payloads = event_payloads(tables.events)
    loans = [p for p in payloads if p["kind"] == "loan"]
    assert loans
    assert all(isinstance(p["annual_rate"], str) for p in loans)
    assert all(Decimal(p["annual_rate"]) == Decimal(p["annual_rate"]).normalize() for p in loans)
    assert not any(p["annual_rate"].endswith("0") and "." in p["annual_rate"] for p in loans)
    for name, schema in SCHEMAS.items():
        for col, dtype in schema.items():
            if col.endswith("_fen"):
                assert dtype == pl.Int64, (name, col)


def test_recognitions_come_after_founding(large):
    joined = large.certifications.join(large.enterprises.select("eid", "founded_on"), on="eid")
    dated = joined.drop_nulls("founded_on")
    assert (dated["recognized_on"] > dated["founded_on"]).all()


def test_the_demo_package_does_not_import_django():
    code = (
        "import sys, srdi.demo.generator, srdi.demo.sizes; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    assert subprocess.run([sys.executable, "-c", code], check=False, env=env).returncode == 0


def test_a_range_is_the_same_rows_as_the_whole_data_set():
    from srdi.demo.generator import generate_range

    whole = generate(9000, 5, as_of_year=2026)
    for start, stop in ((0, 9000), (100, 8300), (8192, 9000)):
        part = generate_range(start, stop, 5, as_of_year=2026)
        for f in fields(whole):
            expected = getattr(whole, f.name).filter(pl.col("eid").is_between(start, stop - 1))
            got = getattr(part, f.name)
            if f.name == "enterprises":  # names are unique within the range only
                expected, got = expected.drop("name"), got.drop("name")
            assert got.equals(expected), f.name
    assert len(generate_range(5, 5, 5)) == 0
    with pytest.raises(ValueError):
        generate_range(10, 5, 5)
