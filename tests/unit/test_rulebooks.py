"""Rulebook hygiene: every parameter is cited and dated; malformed files fail naming the file and key."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.rules.rulebook import load_library, load_library_from

SHIPPED = Path(str(resources.files("srdi.rulebooks")))


def test_every_parameter_has_a_reference_unit_and_effective_date():
    lib = load_library()
    for rb in lib.rulebooks:
        for pid, p in rb.parameters.items():
            assert p.reference.strip(), (rb.id, pid)
            assert p.unit, (rb.id, pid)
            assert p.periods and p.periods[0].start, (rb.id, pid)


def test_the_63_rulebooks_end_on_2026_03_31_and_2号_takes_over():
    from datetime import date

    lib = load_library()
    before = {
        t: lib.for_tier(t, date(2026, 3, 31)).id for t in ("innovative_sme", "srdi_sme", "little_giant")
    }
    after = {t: lib.for_tier(t, date(2026, 4, 1)).id for t in ("innovative_sme", "srdi_sme", "little_giant")}
    assert before == {
        "innovative_sme": "miit63.innovative_sme",
        "srdi_sme": "miit63.srdi_sme",
        "little_giant": "miit63.little_giant",
    }
    # 2号 第三十条: 63号 附件1 stays in use for the first tier until the merged standard is issued.
    assert after == {
        "innovative_sme": "miit63.innovative_sme",
        "srdi_sme": "miit26.srdi_sme",
        "little_giant": "miit26.little_giant",
    }
    assert lib.for_tier("hidden_champion", date(2026, 6, 30)).id == "zhejiang.hidden_champion_2026"


@pytest.fixture
def library_copy(tmp_path):
    root = tmp_path / "rulebooks"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("__pycache__", "cases"))
    return root


def _edit(path: Path, mutate):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_unknown_key_names_file_and_key(library_copy):
    _edit(
        library_copy / "miit63/innovative_sme.yaml",
        lambda d: d["parameters"]["total_min"].update(colour="red"),
    )
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/innovative_sme.yaml")
    assert err.value.key == "total_min.colour"


def test_missing_reference_names_file_and_key(library_copy):
    _edit(library_copy / "miit63/srdi_sme.yaml", lambda d: d["parameters"]["min_rd_expense"].pop("reference"))
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/srdi_sme.yaml")
    assert err.value.key == "min_rd_expense.reference"


def test_overlapping_parameter_dates_fail(library_copy):
    def mutate(d):
        d["parameters"]["min_niche_years"]["values"] = [
            {"from": "2022-06-01", "to": "2024-12-31", "value": 3},
            {"from": "2024-06-01", "value": 4},
        ]

    _edit(library_copy / "miit63/little_giant.yaml", mutate)
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.key == "min_niche_years.values"
    assert "重叠" in err.value.reason


def test_overlapping_rulebooks_for_one_tier_fail(library_copy):
    text = (library_copy / "miit63/little_giant.yaml").read_text(encoding="utf-8")
    (library_copy / "miit63/little_giant_2025.yaml").write_text(
        text.replace("rulebook: miit63.little_giant", "rulebook: miit63.little_giant_b"), encoding="utf-8"
    )
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.key == "valid"


def test_the_merged_first_tier_standard_can_be_added_once_the_transition_is_closed(library_copy):
    # When the merged 科技和创新型中小企业 standard is issued it arrives as a new file; the 63号 transition
    # must be given its end date first, or the two would both claim the same days.
    old = library_copy / "miit63/innovative_sme.yaml"
    text = old.read_text(encoding="utf-8")
    text = text.replace("rulebook: miit63.innovative_sme", "rulebook: miit27.innovative_sme")
    text = text.replace("valid: {from: 2022-06-01, to: 2026-03-31}", "valid: {from: 2027-01-01}")
    text = text.replace("from: 2022-06-01", "from: 2027-01-01")
    text = text.replace(text[text.index("transitions:") : text.index("summary:")], "")
    (library_copy / "miit27").mkdir()
    (library_copy / "miit27/innovative_sme.yaml").write_text(text, encoding="utf-8")
    from datetime import date

    with pytest.raises(RuleDataError, match="重叠"):
        load_library_from(library_copy)
    old.write_text(
        old.read_text(encoding="utf-8").replace(
            "  - from: 2026-04-01\n", "  - from: 2026-04-01\n    to: 2026-12-31\n", 1
        ),
        encoding="utf-8",
    )
    lib = load_library_from(library_copy)
    assert lib.for_tier("innovative_sme", date(2027, 5, 1)).id == "miit27.innovative_sme"
    assert lib.for_tier("innovative_sme", date(2026, 5, 1)).id == "miit63.innovative_sme"
    assert lib.for_tier("innovative_sme", date(2025, 5, 1)).id == "miit63.innovative_sme"


def test_float_thresholds_are_refused(library_copy):
    def mutate(d):
        d["parameters"]["min_rd_intensity"]["values"][0]["value"] = 0.03

    _edit(library_copy / "miit63/srdi_sme.yaml", mutate)
    with pytest.raises(RuleDataError, match="浮点"):
        load_library_from(library_copy)


def test_unknown_measure_in_a_test_fails(library_copy):
    def mutate(d):
        d["prerequisites"][3]["test"] = {"measure": "no_such_measure", "ge": "min_niche_years"}

    _edit(library_copy / "miit63/srdi_sme.yaml", mutate)
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.key.endswith("measure")


# ---- settings must do something -----------------------------------------------------------------------


def test_a_parameter_that_nothing_reads_is_refused(library_copy):
    def mutate(d):
        d["parameters"]["unused_setting"] = {
            "label": "无人读取的设置",
            "unit": "text",
            "reference": "测试",
            "values": [{"from": "2022-06-01", "value": "x"}],
        }

    _edit(library_copy / "miit63/srdi_sme.yaml", mutate)
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/srdi_sme.yaml")
    assert err.value.key == "unused_setting"


def test_a_common_parameter_that_nothing_reads_is_refused(library_copy):
    def mutate(d):
        d["parameters"]["growth_average_method"] = {
            "label": "近2年平均增长率的计算方法",
            "unit": "text",
            "reference": "63号 附件2",
            "values": [{"from": "2022-06-01", "value": "arithmetic"}],
        }

    _edit(library_copy / "common.yaml", mutate)
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("common.yaml")
    assert err.value.key == "growth_average_method"


def test_shipped_common_parameters_are_all_read():
    from srdi.domain.rules.rulebook import ENGINE_PARAMETERS

    assert (
        set(load_library().common)
        == set(ENGINE_PARAMETERS)
        == {
            "band_boundaries_inclusive",
            "title_validity_years",
            "annual_update_deadline",
            "update_misses_to_cancel",
            "update_cancellation_tiers",
            "fraud_ban_years",
        }
    )


def test_list_fact_settings_are_cited_rulebook_parameters():
    """Award kinds, rank limits, contest groups and title kinds live in the rulebooks, with references."""
    lib = load_library()
    expected = {
        "miit63.innovative_sme": {"direct_award_kinds", "direct_award_levels", "direct_title_kinds"},
        "miit63.srdi_sme": {
            "direct_award_kinds",
            "direct_award_provincial_max_rank",
            "direct_award_national_max_rank",
            "direct_contest_kinds",
            "direct_contest_groups",
        },
        "miit63.little_giant": {
            "direct_award_kinds",
            "direct_award_provincial_max_rank",
            "direct_award_national_max_rank",
            "direct_contest_kinds",
            "direct_contest_groups",
        },
    }
    for rb in lib.rulebooks:
        for pid in expected.get(rb.id, set()):
            assert pid in rb.parameters and rb.parameters[pid].reference.strip(), (rb.id, pid)


def test_a_list_fact_without_its_parameter_fails_at_load(library_copy):
    _edit(library_copy / "miit63/srdi_sme.yaml", lambda d: d["parameters"].pop("direct_contest_groups"))
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/srdi_sme.yaml")
    assert err.value.key.endswith("fact")
    assert "direct_contest_groups" in err.value.reason


def test_an_override_of_an_unknown_parameter_is_refused():
    from datetime import date

    from tests.conftest import make_uscc

    from srdi.domain.exchange import parse_profile
    from srdi.domain.rules.engine import assess
    from srdi.domain.tables import tables_from_profiles

    tables = tables_from_profiles([parse_profile({"uscc": make_uscc()})])
    with pytest.raises(RuleDataError) as err:
        assess(tables, date(2025, 6, 30), overrides={"innovative_sme": {"no_such_parameter": 1}})
    assert err.value.key == "innovative_sme.no_such_parameter"
    with pytest.raises(RuleDataError):
        assess(
            tables, date(2025, 6, 30), tiers=("srdi_sme",), overrides={"little_giant": {"min_niche_years": 4}}
        )


# ---- validity of rulebooks and coverage of parameter dates ---------------------------------------------


def test_two_files_with_the_same_rulebook_id_fail(library_copy):
    text = (library_copy / "miit63/little_giant.yaml").read_text(encoding="utf-8")
    (library_copy / "miit63/little_giant_copy.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/little_giant_copy.yaml")
    assert err.value.key == "rulebook"
    assert "miit63/little_giant.yaml" in err.value.reason


def test_the_same_id_with_overlapping_dates_in_another_tier_folder_fails(library_copy):
    text = (library_copy / "miit63/little_giant.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "valid: {from: 2022-06-01, to: 2026-03-31}", "valid: {from: 2025-01-01, to: 2026-03-31}"
    )
    (library_copy / "zhejiang/little_giant.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("zhejiang/little_giant.yaml")
    assert err.value.key in ("rulebook", "valid")


def test_valid_to_before_valid_from_fails(library_copy):
    _edit(
        library_copy / "miit63/innovative_sme.yaml",
        lambda d: d.update(valid={"from": "2022-06-01", "to": "2022-05-31"}),
    )
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/innovative_sme.yaml")
    assert err.value.key == "valid.to"


def test_a_parameter_that_starts_after_its_rulebook_fails_at_load(library_copy):
    def mutate(d):
        d["parameters"]["total_min"]["values"] = [{"from": "2023-01-01", "value": 60}]

    _edit(library_copy / "miit63/innovative_sme.yaml", mutate)
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/innovative_sme.yaml")
    assert err.value.key == "total_min.values"
    assert "2022-06-01" in err.value.reason


def test_a_gap_between_parameter_periods_fails_at_load(library_copy):
    def mutate(d):
        d["parameters"]["min_niche_years"]["values"] = [
            {"from": "2022-06-01", "to": "2024-12-31", "value": 3},
            {"from": "2025-02-01", "value": 4},
        ]

    _edit(library_copy / "miit63/little_giant.yaml", mutate)
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("miit63/little_giant.yaml")
    assert err.value.key == "min_niche_years.values"
    assert "2025-01-01" in err.value.reason


def test_a_parameter_that_ends_before_an_open_ended_rulebook_fails_at_load(library_copy):
    def mutate(d):
        d["valid"] = {"from": "2022-06-01"}
        d["parameters"]["min_revenue"]["values"][0]["to"] = "2026-03-31"

    _edit(library_copy / "zhejiang/hidden_champion_2025.yaml", mutate)
    # the other three 63号 books end on 2026-03-31; this one would then be open-ended
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("zhejiang/hidden_champion_2025.yaml")
    assert err.value.key == "min_revenue.values"
    assert "2026-04-01" in err.value.reason


def test_a_common_parameter_that_does_not_cover_a_rulebook_fails_at_load(library_copy):
    def mutate(d):
        d["parameters"]["title_validity_years"]["values"] = [{"from": "2023-01-01", "value": 3}]

    _edit(library_copy / "common.yaml", mutate)
    with pytest.raises(RuleDataError) as err:
        load_library_from(library_copy)
    assert err.value.source.endswith("common.yaml")
    assert err.value.key == "title_validity_years.values"
    assert "miit63" in err.value.reason
