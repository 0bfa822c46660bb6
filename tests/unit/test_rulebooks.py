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


def test_the_63_rulebooks_end_on_2026_03_31_and_pick_by_as_of():
    from datetime import date

    lib = load_library()
    for tier in ("innovative_sme", "srdi_sme", "little_giant", "hidden_champion"):
        assert lib.for_tier(tier, date(2026, 3, 31)) is not None
        assert lib.for_tier(tier, date(2026, 4, 1)) is None


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


def test_a_2026_rulebook_can_be_added_as_a_new_file(library_copy):
    text = (library_copy / "miit63/innovative_sme.yaml").read_text(encoding="utf-8")
    text = text.replace("rulebook: miit63.innovative_sme", "rulebook: miit2026.innovative_sme")
    text = text.replace("valid: {from: 2022-06-01, to: 2026-03-31}", "valid: {from: 2026-04-01}")
    text = text.replace("from: 2022-06-01", "from: 2026-04-01")
    (library_copy / "miit63/innovative_sme_2026.yaml").write_text(text, encoding="utf-8")
    from datetime import date

    lib = load_library_from(library_copy)
    assert lib.for_tier("innovative_sme", date(2026, 5, 1)).id == "miit2026.innovative_sme"
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
